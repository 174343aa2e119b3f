"""Returning visitors: matching, samples, scopes, staff, erasure, retention and the tenant's privacy settings.

Embeddings here are random unit vectors placed at chosen distances (the threshold itself is checked on real
faces in test_reid_faces.py); visits go through the product's writer.
"""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse

from config.celery import app
from core.models import Membership, Tenant
from core.tenancy import tenant_scope
from ingest.job_runner import build_pipeline
from ingest.models import VideoJob, Visit, ZoneEvent
from reid.matching import match_rule, nearest_sample_sql, vector_literal
from reid.models import Visitor, VisitorEmbedding
from reid.services import embeddings_expire
from reid.tasks import embeddings_expire_all
from tests.conftest import FIRST_VISIT, face_embedding, face_visit, key_client, session_client
from venues.models import Camera, Venue, Zone
from vision.geometry import SceneGeometry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("visitors")]


MONDAY = FIRST_VISIT  # build_world's visitor's first visit


def base(world):
    return face_embedding(world.tenant.pk)  # the face of build_world's visitor


def visitor_of(world, track_id: int) -> Visitor | None:
    with tenant_scope(world.tenant):
        return Visit.objects.get(key=f"job:{world.job.pk}:visit:{track_id}").visitor


def samples(world, visitor) -> int:
    with tenant_scope(world.tenant):
        return VisitorEmbedding.objects.filter(visitor=visitor).count()


def test_the_same_face_returns_as_the_same_visitor_and_a_new_face_is_a_new_visitor(world_a):
    face_visit(world_a, 2, MONDAY + timedelta(days=7), face_embedding(2, near=base(world_a), distance=0.25))
    face_visit(world_a, 3, MONDAY + timedelta(days=7), face_embedding(3))
    assert visitor_of(world_a, 2) == world_a.visitor
    assert visitor_of(world_a, 3) not in (None, world_a.visitor)
    with tenant_scope(world_a.tenant):
        visitor = Visitor.objects.get(pk=world_a.visitor.pk)
        assert Visitor.objects.count() == 2
    assert (visitor.first_seen, visitor.last_seen) == (MONDAY, MONDAY + timedelta(days=7))


def test_the_threshold_decides(world_a):
    threshold = match_rule("dlib-resnet-128", visitors_in_scope=1).threshold
    face_visit(world_a, 2, MONDAY, face_embedding(2, near=base(world_a), distance=threshold - 0.01))
    face_visit(world_a, 3, MONDAY, face_embedding(3, near=base(world_a), distance=threshold + 0.02))
    assert visitor_of(world_a, 2) == world_a.visitor
    assert visitor_of(world_a, 3) != world_a.visitor


def test_a_visitor_keeps_a_few_distinct_samples_the_newest_replacing_the_oldest(world_a):
    assert samples(world_a, world_a.visitor) == 1
    face_visit(world_a, 2, MONDAY, face_embedding(2, near=base(world_a), distance=0.05))  # adds nothing new
    assert visitor_of(world_a, 2) == world_a.visitor and samples(world_a, world_a.visitor) == 1
    for n in range(3, 12):
        face_visit(world_a, n, MONDAY + timedelta(days=n), face_embedding(n, near=base(world_a), distance=0.2))
        assert visitor_of(world_a, n) == world_a.visitor
    assert samples(world_a, world_a.visitor) == settings.REID_SAMPLES_PER_VISITOR
    with tenant_scope(world_a.tenant):
        kept = [e.embedding for e in VisitorEmbedding.objects.filter(visitor=world_a.visitor)]
    assert min(np.linalg.norm(e - base(world_a)) for e in kept) > 0.1  # the first sample was replaced


def world_in_new_venue(world):
    """The same tenant with a second venue, camera, zone and job."""
    with tenant_scope(world.tenant):
        venue = Venue.objects.create(tenant=world.tenant, name="Second store", time_zone="Europe/Paris")
        camera = Camera.objects.create(venue=venue, name="Door")
        zone = Zone.objects.create(camera=camera, name="Front", polygon=[[0, 0], [1, 0], [1, 1]])
        job = VideoJob.objects.create(camera=camera, source=VideoJob.Source.URL, source_url="https://example.com/b.mp4")
    return replace(world, venue=venue, camera=camera, zone=zone, job=job)


def test_venue_scope_keeps_venues_apart_and_tenant_scope_joins_them(world_a):
    second = world_in_new_venue(world_a)
    face_visit(second, 1, MONDAY, face_embedding(2, near=base(world_a), distance=0.1))
    assert visitor_of(second, 1) not in (None, world_a.visitor)  # per venue by default
    Tenant.objects.filter(pk=world_a.tenant.pk).update(reid_scope=Tenant.ReidScope.TENANT)
    face_visit(second, 2, MONDAY, face_embedding(3, near=base(world_a), distance=0.05))
    assert visitor_of(second, 2) == world_a.visitor


def test_another_tenants_visitors_are_never_matched(world_a, world_b):
    face_visit(world_b, 2, MONDAY, base(world_a))  # the very same face, in tenant B
    with tenant_scope(world_b.tenant):
        assert Visit.objects.get(key=f"job:{world_b.job.pk}:visit:2").visitor not in (None, world_a.visitor)
        assert Visitor.objects.count() == 2  # B's own from build_world, and this one


def test_a_model_without_a_threshold_is_not_matched(world_a):
    face_visit(world_a, 2, MONDAY, base(world_a), model="other-model-128")
    assert visitor_of(world_a, 2) is None


def test_the_search_uses_the_hnsw_index(world_a):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: make the planner show its index choice
        cursor.execute("EXPLAIN " + nearest_sample_sql(128), {"query": vector_literal(base(world_a)), "candidates": 10})
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "reid_embedding_hnsw_128" in plan, plan


WEEK = {"from": MONDAY.date().isoformat(), "to": (MONDAY + timedelta(days=7)).date().isoformat()}


def overview(world):
    return session_client(world.owner).get(reverse("analytics-overview", args=[world.venue.pk]), WEEK).json()


def test_staff_leave_every_customer_metric_and_their_new_visits_are_tagged(world_a):
    face_visit(world_a, 2, MONDAY + timedelta(days=1), face_embedding(2))  # a customer
    before = overview(world_a)
    assert (before["visits"], before["unique_visitors"]) == (2, 2)
    client = session_client(world_a.owner)
    response = client.post(reverse("visitor-staff", args=[world_a.visitor.pk]), {"staff": True}, format="json")
    assert response.status_code == 200 and response.json()["staff"] is True
    after = overview(world_a)
    assert (after["visits"], after["unique_visitors"]) == (1, 1)
    zones = client.get(reverse("analytics-zones", args=[world_a.venue.pk]), WEEK)
    assert [z["visits"] for z in zones.json()["zones"] if z["name"] == "Front"] == [1]

    face_visit(world_a, 3, MONDAY + timedelta(days=2), face_embedding(3, near=base(world_a), distance=0.2))
    with tenant_scope(world_a.tenant):
        visit = Visit.objects.get(key=f"job:{world_a.job.pk}:visit:3")
        assert visit.staff and visit.visitor == world_a.visitor
        assert set(ZoneEvent.objects.filter(visit_key=visit.key).values_list("staff", flat=True)) == {True}
    assert overview(world_a)["visits"] == 1

    client.post(reverse("visitor-staff", args=[world_a.visitor.pk]), {"staff": False}, format="json")
    assert overview(world_a)["visits"] == 3


def test_erasing_a_visitor_removes_embeddings_and_links_but_keeps_the_counts(world_a):
    face_visit(world_a, 2, MONDAY + timedelta(days=7), face_embedding(2, near=base(world_a), distance=0.25))
    two_weeks = {"from": MONDAY.date().isoformat(), "to": (MONDAY + timedelta(days=13)).date().isoformat()}
    url = reverse("analytics-overview", args=[world_a.venue.pk])
    assert session_client(world_a.owner).get(url, two_weeks).json()["unique_visitors"] == 1  # one person, twice
    response = key_client(world_a.key).delete(reverse("visitor-detail", args=[world_a.visitor.pk]))
    assert response.status_code == 204
    with tenant_scope(world_a.tenant):
        assert not Visitor.objects.filter(pk=world_a.visitor.pk).exists()
        assert not VisitorEmbedding.objects.exists()
        assert list(Visit.objects.values_list("visitor", flat=True)) == [None, None]
    assert overview(world_a)["visits"] == 2
    assert session_client(world_a.owner).get(url, two_weeks).json()["unique_visitors"] == 2  # anonymous: two
    # the face is forgotten: the next visit of that person is a new visitor
    face_visit(world_a, 3, MONDAY + timedelta(days=8), base(world_a))
    assert visitor_of(world_a, 3) is not None and visitor_of(world_a, 3).pk != world_a.visitor.pk


def test_embeddings_expire_after_the_tenants_retention(world_a, world_b):
    Tenant.objects.filter(pk=world_b.tenant.pk).update(embedding_retention_days=60)
    in_31_days = datetime.now(UTC) + timedelta(days=31)
    assert embeddings_expire(in_31_days - timedelta(days=2)) == 0
    assert embeddings_expire(in_31_days) == 1  # A's (30 days), not B's (60)
    with tenant_scope(world_a.tenant):
        assert not VisitorEmbedding.objects.exists() and Visitor.objects.exists()  # the visitor stays, faceless
    with tenant_scope(world_b.tenant):
        assert VisitorEmbedding.objects.count() == 1


def test_the_expiry_task_is_scheduled_and_runs(world_a):
    schedule = settings.CELERY_BEAT_SCHEDULE["reid-embeddings-expire"]
    assert schedule["task"] in app.tasks
    with tenant_scope(world_a.tenant):
        VisitorEmbedding.objects.update(created_at=datetime.now(UTC) - timedelta(days=31))
    assert embeddings_expire_all() == 1
    with tenant_scope(world_a.tenant):
        assert not VisitorEmbedding.objects.exists()


def test_a_tenant_saved_anywhere_without_returning_visitors_keeps_no_embedding(admin_client, world_a, world_b):
    """The admin saves a tenant as any code does (no service in between): reid's post_save receiver erases."""
    with tenant_scope(world_a.tenant):
        assert VisitorEmbedding.objects.exists()
    with tenant_scope(world_b.tenant):
        face_visit(world_b, 1, MONDAY, base(world_b))
        assert VisitorEmbedding.objects.exists()
    page = admin_client.get(reverse("admin:core_tenant_change", args=[world_a.tenant.pk]))
    form, memberships = page.context["adminform"].form, page.context["inline_admin_formsets"][0].formset
    data = {name: value for name, value in form.initial.items() if value is not None and name != "loyalty_tiers"}
    data.update(face_processing="off", loyalty_tiers=json.dumps(world_a.tenant.loyalty_tiers))
    data.update({f"{memberships.prefix}-{name}": value for name, value in memberships.management_form.initial.items()})
    for membership in memberships.forms:
        data.update({f"{membership.prefix}-{name}": value for name, value in membership.initial.items()})
        data[f"{membership.prefix}-id"] = membership.instance.pk
    response = admin_client.post(reverse("admin:core_tenant_change", args=[world_a.tenant.pk]), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    with tenant_scope(world_a.tenant):
        assert not VisitorEmbedding.objects.exists()
    with tenant_scope(world_b.tenant):
        assert VisitorEmbedding.objects.exists()  # another tenant's faces are untouched


def test_leaving_returning_visitors_erases_embeddings_and_stops_recognition(world_a):
    client = session_client(world_a.owner)
    response = client.patch(reverse("tenant-settings"), {"face_processing": "demographics"}, format="json")
    assert response.status_code == 200 and response.json()["face_processing"] == "demographics"
    with tenant_scope(world_a.tenant):
        assert not VisitorEmbedding.objects.exists()
    face_visit(world_a, 2, MONDAY, base(world_a))  # even if a device sends a face, nothing is stored
    assert visitor_of(world_a, 2) is None
    with tenant_scope(world_a.tenant):
        assert not VisitorEmbedding.objects.exists()


@pytest.mark.parametrize(
    ("face_processing", "faces", "embedder"),
    [("returning", True, True), ("demographics", True, False), ("off", False, False)],
)
def test_the_pipeline_computes_no_embedding_unless_the_tenant_recognises_visitors(face_processing, faces, embedder):
    pipeline = build_pipeline(SceneGeometry(), (640, 480), face_processing=face_processing)
    assert (pipeline.faces is not None) == faces
    if faces:
        assert (pipeline.faces.analyzer.embedder is not None) == embedder
        assert pipeline.faces.analyzer.age_gender is not None


def test_settings_changes_are_for_signed_in_owners_and_checked(world_a):
    url = reverse("tenant-settings")
    assert key_client(world_a.key).patch(url, {"reid_scope": "tenant"}, format="json").status_code == 403
    viewer = get_user_model().objects.create_user("viewer", password="a-long-test-password-9")
    Membership.objects.create(user=viewer, tenant=world_a.tenant, role=Membership.Role.VIEWER)
    assert session_client(viewer).get(url).json()["reid_scope"] == "venue"
    assert session_client(viewer).patch(url, {"reid_scope": "tenant"}, format="json").status_code == 403
    client = session_client(world_a.owner)
    for body, field in [
        ({"loyalty_tiers": {"occasional": 3, "regular": 3, "loyal": 8, "vip": 15}}, "loyalty_tiers"),
        ({"loyalty_tiers": {"occasional": 2}}, "loyalty_tiers"),
        ({"embedding_retention_days": 0}, "embedding_retention_days"),
        ({"embedding_retention_days": 400}, "embedding_retention_days"),
        ({"face_processing": "faces please"}, "face_processing"),
        ({"reid_scope": None}, "reid_scope"),
        ({"clip_retention_days": 0}, "clip_retention_days"),
        ({"blur_faces_in_clips": "maybe"}, "blur_faces_in_clips"),
    ]:
        response = client.patch(url, body, format="json")
        assert response.status_code == 400 and field in response.json(), (body, response.json())
    with tenant_scope(world_a.tenant):
        assert VisitorEmbedding.objects.count() == 1  # nothing changed
    response = client.patch(
        url, {"loyalty_tiers": {"occasional": 3, "regular": 5, "loyal": 9, "vip": 20}}, format="json"
    )
    assert response.status_code == 200
    assert Tenant.objects.get(pk=world_a.tenant.pk).loyalty_tier(4) == "occasional"
    response = client.patch(url, {"blur_faces_in_clips": False, "clip_retention_days": 30}, format="json")
    assert response.status_code == 200
    tenant = Tenant.objects.get(pk=world_a.tenant.pk)
    assert (tenant.blur_faces_in_clips, tenant.clip_retention_days) == (False, 30)


def test_staff_marking_and_erasure_need_a_writer_and_a_valid_body(world_a):
    viewer = get_user_model().objects.create_user("viewer", password="a-long-test-password-9")
    Membership.objects.create(user=viewer, tenant=world_a.tenant, role=Membership.Role.VIEWER)
    staff_url = reverse("visitor-staff", args=[world_a.visitor.pk])
    assert session_client(viewer).post(staff_url, {"staff": True}, format="json").status_code == 403
    assert session_client(viewer).delete(reverse("visitor-detail", args=[world_a.visitor.pk])).status_code == 403
    for junk in [None, "", "maybe", [], {}]:
        response = session_client(world_a.owner).post(staff_url, {"staff": junk}, format="json")
        assert response.status_code == 400 and "staff" in response.json()
    assert session_client(world_a.owner).get(reverse("visitor-list"), {"staff": "maybe"}).status_code == 400


def test_visitor_list_detail_and_history(world_a):
    for n, days in enumerate([7, 8, 14], start=2):  # three more visit days of the same person
        face_visit(world_a, n, MONDAY + timedelta(days=days, hours=n), face_embedding(n, near=base(world_a)))
    face_visit(world_a, 9, MONDAY + timedelta(days=14), face_embedding(9))  # someone else, once
    client = session_client(world_a.owner)
    listed = client.get(reverse("visitor-list"), {"venue": world_a.venue.pk}).json()
    assert listed["count"] == 2
    regular = next(v for v in listed["results"] if v["id"] == world_a.visitor.pk)
    assert (regular["visit_count"], regular["window_visit_days"], regular["tier"]) == (4, 4, "regular")
    assert 1 <= regular["samples"] <= settings.REID_SAMPLES_PER_VISITOR
    assert client.get(reverse("visitor-list"), {"staff": "true"}).json()["count"] == 0
    history = client.get(reverse("visitor-visits", args=[world_a.visitor.pk])).json()
    assert history["count"] == 4
    latest = history["results"][0]
    assert latest["at"] == (MONDAY + timedelta(days=14, hours=4)).astimezone(ZoneInfo("Europe/Paris")).isoformat()
    assert latest["zones"] == [{"zone": "Front", "dwell_seconds": 300.0, "stays": 1}]
    assert latest["venue_name"] == world_a.venue.name and latest["camera_name"] == "Entrance"


def test_new_and_returning_visitors_frequency_and_tiers(world_a):
    """build_world's visitor V comes on day 0 (Monday), seen by both cameras at once; a faceless visit that
    day; V again on day 7 with W, who is new then and returns on day 8."""
    v, w = base(world_a), face_embedding(99)
    aisle = world_in_new_venue(world_a)
    with tenant_scope(world_a.tenant):
        Camera.objects.filter(pk=aisle.camera.pk).update(venue=world_a.venue)
        VideoJob.objects.filter(pk=aisle.job.pk).update(venue=world_a.venue)
    aisle = replace(aisle, venue=world_a.venue)
    face_visit(aisle, 1, MONDAY + timedelta(minutes=1), face_embedding(1, near=v, distance=0.2))
    face_visit(world_a, 2, MONDAY + timedelta(hours=2), None)
    face_visit(world_a, 3, MONDAY + timedelta(days=7), face_embedding(3, near=v, distance=0.2))
    face_visit(world_a, 4, MONDAY + timedelta(days=7), w)
    face_visit(world_a, 5, MONDAY + timedelta(days=8), face_embedding(5, near=w, distance=0.2))
    assert visitor_of(aisle, 1) == world_a.visitor

    period = {"from": MONDAY.date().isoformat(), "to": (MONDAY + timedelta(days=8)).date().isoformat()}
    result = session_client(world_a.owner).get(reverse("analytics-visitors", args=[world_a.venue.pk]), period).json()
    counts = ("visits", "visitors", "recognised", "new", "returning", "unrecognised_visits")
    assert [result["total"][c] for c in counts] == [6, 3, 2, 2, 0, 1]
    days = {d["start"]: [d[c] for c in counts] for d in result["days"]}
    day = [(MONDAY + timedelta(days=n)).date().isoformat() for n in (0, 7, 8)]
    assert days == {day[0]: [3, 2, 1, 1, 0, 1], day[1]: [2, 2, 2, 1, 1, 0], day[2]: [1, 1, 1, 0, 1, 0]}
    assert [[wk[c] for c in counts] for wk in result["weeks"]] == [[3, 2, 1, 1, 0, 1], [3, 2, 2, 1, 1, 0]]
    assert {f["visit_days"]: f["visitors"] for f in result["frequency"]}["2"] == 2
    assert result["average_visit_days"] == 2.0 and result["return_rate"] == 1.0
    assert {t["tier"]: t["visitors"] for t in result["loyalty"]["tiers"]} == {
        "new": 0, "occasional": 2, "regular": 0, "loyal": 0, "vip": 0,
    }  # fmt: skip
    assert overview(world_a)["unique_visitors"] == 3  # V once, though two cameras saw them; W; the faceless visit


def test_the_visitors_page_lists_marks_staff_and_erases(world_a):
    client = Client()
    client.force_login(world_a.owner)
    page = client.get(reverse("visitors-page"))
    assert page.status_code == 200 and f"#{world_a.visitor.pk}".encode() in page.content
    client.post(reverse("visitor-staff-form", args=[world_a.visitor.pk]), {"staff": "true"})
    with tenant_scope(world_a.tenant):
        assert Visitor.objects.get(pk=world_a.visitor.pk).staff
    assert b"staff</span>" in client.get(reverse("visitors-page")).content

    viewer = get_user_model().objects.create_user("viewer", password="a-long-test-password-9")
    Membership.objects.create(user=viewer, tenant=world_a.tenant, role=Membership.Role.VIEWER)
    as_viewer = Client()
    as_viewer.force_login(viewer)
    assert b"Erase</button>" not in as_viewer.get(reverse("visitors-page")).content
    response = as_viewer.post(reverse("visitor-erase-form", args=[world_a.visitor.pk]), follow=True)
    assert b"read-only" in response.content
    with tenant_scope(world_a.tenant):
        assert Visitor.objects.filter(pk=world_a.visitor.pk).exists()

    client.post(reverse("visitor-erase-form", args=[world_a.visitor.pk]))
    with tenant_scope(world_a.tenant):
        assert not Visitor.objects.exists() and not VisitorEmbedding.objects.exists()
