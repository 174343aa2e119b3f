"""Camera pages: a camera's form (name, role, stream, people size), and its setup: the camera's snapshot with its
zones and counting lines, drawn and edited in the browser (`static/venues/camera_setup.js`), which saves them
through the REST API with the session."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.dateparse import parse_datetime

from analytics.selectors import count_accuracy
from core.pages import member_writes, model_form_page, tenant_page
from ingest.models import CountAudit
from venues.forms import CameraForm
from venues.models import Camera, Venue, Zone

SNAPSHOT_CACHE_SECONDS = 24 * 3600  # the snapshot's address changes with each new snapshot (`Camera.snapshot_url`)


@tenant_page
def camera_create(request, venue_id):
    return _camera_form_page(request, Camera(venue=get_object_or_404(Venue.objects.all(), pk=venue_id)))


@tenant_page
def camera_edit(request, camera_id):
    return _camera_form_page(request, get_object_or_404(Camera.objects.select_related("venue"), pk=camera_id))


def _camera_form_page(request, camera: Camera):
    """Saved, a camera's form opens its setup (its zones and lines)."""
    return model_form_page(request, CameraForm, camera, "venues/camera_form.html", {"camera": camera},
                           lambda saved: ("camera-setup", saved.pk), noun="Camera ")  # fmt: skip


@tenant_page
def camera_setup(request, camera_id):
    camera = get_object_or_404(Camera.objects.select_related("venue"), pk=camera_id)
    can_edit = member_writes(request)
    config = {
        "camera": camera.pk,
        "canEdit": can_edit,
        "zonesUrl": reverse("zone-list"),
        "linesUrl": reverse("line-list"),
        "kinds": dict(Zone.Kind.choices),
        "zones": [{"id": z.pk, "name": z.name, "kind": z.kind, "points": z.polygon} for z in camera.zones.all()],
        "lines": [
            {"id": ln.pk, "name": ln.name, "points": ln.points, "in_side": ln.in_side}
            for ln in camera.countinglines.all()
        ],
    }
    context = {"camera": camera, "config": config, "can_edit": can_edit, "kinds": Zone.Kind.choices,
               "detection": _detection(camera), "audits": count_accuracy(CountAudit.objects.filter(job__camera=camera))}  # fmt: skip
    return render(request, "venues/camera_setup.html", context)


def _detection(camera: Camera) -> dict | None:
    """How the last video job's detector saw this camera (`Camera.detection_scale`), in the page's words."""
    scale = camera.detection_scale
    if not scale:
        return None
    height, width = scale["input_size"]
    people = scale.get("people_height_seen") or scale.get("people_height")
    return {
        "input": f"{width}x{height} px",
        "people_px": round(people * camera.frame_height) if people is not None and camera.frame_height else None,
        "small_people": scale["small_people"],
        "basis": scale["basis"],
        "face_px": scale.get("face_px"),
        "face_px_needed": scale.get("face_px_needed"),
        "job": scale.get("job"),
        "measured_at": parse_datetime(scale["measured_at"]) if scale.get("measured_at") else None,
    }


@login_required
def camera_snapshot(request, camera_id):
    """The snapshot, for members of the camera's tenant only: never a public file."""
    if request.tenant is None:
        raise Http404("No tenant.")
    return snapshot_response(get_object_or_404(Camera.objects.all(), pk=camera_id))


def snapshot_response(camera: Camera) -> FileResponse:
    """The camera's snapshot as a JPEG, privately cacheable (also the API's `cameras/{id}/snapshot.jpg`)."""
    if not camera.snapshot:
        raise Http404("This camera has no snapshot yet: process a video of it.")
    try:
        image = camera.snapshot.open("rb")
    except FileNotFoundError as missing:
        raise Http404("The snapshot's file is missing.") from missing
    response = FileResponse(image, content_type="image/jpeg")
    patch_cache_control(response, private=True, max_age=SNAPSHOT_CACHE_SECONDS)
    return response
