"""Every model's admin change list, search, add form and change form render for support staff."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.urls import reverse

from core.tenancy import all_tenants, tenant_scope
from ingest.job_runner import scene_geometry
from ingest.models import ReviewClip
from ingest.writer import Origin, events_write
from vision.events import LineCrossed, QueueJoined, VisitEnded, ZoneExited

pytestmark = pytest.mark.django_db


def _registered():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.fixture
def events_of_a(world_a, settings, tmp_path):
    """One event of each kind for tenant A, written the only way events are written, and a review clip."""
    settings.MEDIA_ROOT = tmp_path
    ReviewClip.objects.create(
        tenant=world_a.tenant, job=world_a.job, file=ContentFile(b"not really a clip", name="clip.mp4"), frames=1,
        duration_seconds=0.125, width=2, height=2, size_bytes=17, faces_blurred=True,
        expires_at=world_a.job.created_at + timedelta(days=7),
    )  # fmt: skip
    t0 = world_a.job.created_at
    zone, line = world_a.zone.name, world_a.line.name
    events = [
        VisitEnded(1, t0, first_seen=t0, zone_visits=(), trajectory=((0.0, 0.2, 0.9),)),
        ZoneExited(1, t0, zone, t0), LineCrossed(1, t0, line, "in"), QueueJoined(1, t0, zone),
    ]  # fmt: skip
    with tenant_scope(world_a.tenant):
        _, zones, lines = scene_geometry(world_a.camera)
        events_write(Origin(f"job:{world_a.job.pk}", world_a.tenant.pk, world_a.venue.pk, world_a.camera.pk,
                            world_a.job.pk), events, zones, lines)  # fmt: skip


@pytest.mark.parametrize(("model", "model_admin"), _registered(), ids=[m._meta.label for m, _ in _registered()])
def test_admin_pages_render_across_tenants(admin_client, world_a, world_b, events_of_a, model, model_admin):
    opts = model._meta
    prefix = f"admin:{opts.app_label}_{opts.model_name}"

    changelist = admin_client.get(reverse(f"{prefix}_changelist"))
    assert changelist.status_code == 200
    assert admin_client.get(reverse(f"{prefix}_changelist"), {"q": "a"}).status_code == 200
    can_add = model_admin.has_add_permission(changelist.wsgi_request)
    assert admin_client.get(reverse(f"{prefix}_add")).status_code == (200 if can_add else 403)

    with all_tenants():
        objects = list(model._default_manager.order_by("pk")[:50])
    if opts.app_label in ("venues", "ingest", "auth") and opts.model_name != "group":  # the product's rows exist
        assert objects, f"no {opts.model_name} to open"
    for obj in objects:
        response = admin_client.get(reverse(f"{prefix}_change", args=[obj.pk]))
        assert response.status_code == 200, (obj, response.status_code)

    if hasattr(model, "tenant_id") and model_admin.list_filter:
        # staff see both tenants' rows, and the tenant filter narrows to one
        assert "tenant" in model_admin.list_filter
        filtered = admin_client.get(reverse(f"{prefix}_changelist"), {"tenant__id__exact": world_b.tenant.pk})
        assert filtered.context["cl"].result_count == sum(
            1 for obj in objects if getattr(obj, "tenant_id", None) == world_b.tenant.pk
        )


def test_staff_admin_can_edit_geometry_and_the_tenant_follows_the_venue(admin_client, world_a, world_b):
    url = reverse("admin:venues_camera_add")
    response = admin_client.post(
        url,
        {
            "venue": world_b.venue.pk, "name": "Back office", "role": "floor", "people_size": "regular", "stream_url": "",
            "zones-TOTAL_FORMS": 1, "zones-INITIAL_FORMS": 0, "zones-0-name": "Desk", "zones-0-kind": "area",
            "zones-0-polygon": "[[0,0],[1,0],[1,1]]",
            "countinglines-TOTAL_FORMS": 0, "countinglines-INITIAL_FORMS": 0,
        },
    )  # fmt: skip
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    with all_tenants():
        from venues.models import Camera

        camera = Camera.objects.get(name="Back office")
        assert camera.tenant_id == world_b.tenant.pk
        assert camera.zones.get().tenant_id == world_b.tenant.pk


def test_admin_refuses_a_bad_polygon_with_a_message(admin_client, world_a):
    response = admin_client.post(
        reverse("admin:venues_zone_add"),
        {"camera": world_a.camera.pk, "name": "Bad", "kind": "area", "polygon": "[[0,0],[2,2]]"},
    )
    assert response.status_code == 200
    assert "at least 3 points" in str(response.context["adminform"].form.errors["polygon"])


def test_the_admin_is_for_staff_only(client, world_a):
    client.force_login(world_a.owner)
    response = client.get(reverse("admin:venues_venue_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
