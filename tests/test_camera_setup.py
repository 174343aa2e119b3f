"""Camera snapshots (kept from a job's first frame, served to the camera's tenant only) and the camera setup page.
The drawing itself is driven in a browser in tests/browser/test_camera_setup.py."""

import json
import re

import cv2
import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from core.models import Membership
from core.tenancy import tenant_scope
from ingest.job_runner import SNAPSHOT_WAIT_FRAMES, CameraSnapshot
from ingest.models import VideoJob
from tests.conftest import PASSWORD, key_client, session_client
from tests.test_video_jobs import CAMPUS
from tests.vision.footage import MODEL_DIR
from venues.models import Camera
from venues.services import camera_detection_scale_save, camera_snapshot_save
from vision.sources import Frame

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.VISION_MODEL_DIR = str(MODEL_DIR)


def first_frame() -> np.ndarray:
    capture = cv2.VideoCapture(str(CAMPUS))
    ok, image = capture.read()
    capture.release()
    assert ok
    return image


def decoded(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def camera_of(world) -> Camera:
    with tenant_scope(world.tenant):
        return Camera.objects.get(pk=world.camera.pk)


def snapshot_taken(world) -> Camera:
    with tenant_scope(world.tenant):
        return camera_snapshot_save(world.camera, first_frame())


def page_config(html: str) -> dict:
    found = re.search(r'<script id="camera-setup-config" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def process_campus(world) -> VideoJob:
    call_command("process_video", str(CAMPUS), venue=str(world.venue.pk), camera="Entrance")
    with tenant_scope(world.tenant):
        return VideoJob.objects.exclude(pk=world.job.pk).latest("pk")


def test_a_job_keeps_an_early_frame_as_the_camera_snapshot(world_a):
    assert process_campus(world_a).status == VideoJob.Status.SUCCEEDED
    camera = camera_of(world_a)
    assert camera.snapshot.name.startswith(f"snapshots/{world_a.tenant.pk}/{camera.pk}-")
    assert camera.snapshot_at is not None
    expected = first_frame()
    assert (camera.frame_width, camera.frame_height) == (expected.shape[1], expected.shape[0])  # were empty
    with camera.snapshot.open("rb") as jpeg:
        image = decoded(jpeg.read())
    assert image.shape == expected.shape
    assert np.abs(image.astype(int) - expected).mean() < 8  # the camera's view (a frame of its first 2 s)


HEAD = (100, 50, 160, 170)  # a person box (x1, y1, x2, y2) in pixels: its head area is the top fifth


def stored_snapshot(world, frames: list[tuple[np.ndarray, list]], blur: bool) -> np.ndarray | None:
    """What `CameraSnapshot` stores from these (image, tracks) frames."""
    snapshot = CameraSnapshot(camera_of(world), blur)
    with tenant_scope(world.tenant):
        for index, (image, tracks) in enumerate(frames):
            snapshot(Frame(index, index / 8, image), tracks)
    camera = camera_of(world)
    if not camera.snapshot:
        return None
    with camera.snapshot.open("rb") as jpeg:
        return decoded(jpeg.read())


def test_the_snapshot_waits_for_someone_tracked_and_blurs_their_head(world_a):
    empty, busy = first_frame(), first_frame()
    empty[:] = 90  # the frames before anyone is tracked
    image = stored_snapshot(world_a, [(empty, []), (empty, []), (busy, [(1, HEAD)]), (empty, [])], blur=True)
    x1, y1, x2, y2 = HEAD
    head, body = (slice(y1, y1 + 24), slice(x1, x2)), (slice(y1 + 40, y2), slice(x1, x2))
    assert np.abs(image[body].astype(int) - busy[body]).mean() < 4  # the frame with the person, as it was
    assert np.abs(image[head].astype(int) - busy[head]).mean() > 4  # but for the head, blurred
    assert image[head].std() < busy[head].std()


def test_without_blurring_the_snapshot_keeps_heads(world_a):
    busy = first_frame()
    image = stored_snapshot(world_a, [(busy, [(1, HEAD)])], blur=False)
    x1, y1, x2, _ = HEAD
    assert np.abs(image[y1 : y1 + 24, x1:x2].astype(int) - busy[y1 : y1 + 24, x1:x2]).mean() < 4


def test_with_nobody_tracked_the_snapshot_is_taken_after_two_seconds(world_a, world_b):
    nobody = [(first_frame(), [])] * SNAPSHOT_WAIT_FRAMES
    assert stored_snapshot(world_a, nobody[:-1], blur=True) is None
    assert stored_snapshot(world_b, nobody, blur=True) is not None


def test_a_job_whose_snapshot_cannot_be_stored_still_succeeds(world_a, tmp_path):
    (tmp_path / "snapshots").write_text("a file where the snapshots' folder should be")
    assert process_campus(world_a).status == VideoJob.Status.SUCCEEDED
    assert not camera_of(world_a).snapshot


def test_a_new_snapshot_replaces_the_old_file_and_a_large_frame_is_scaled_down(
    world_a, django_capture_on_commit_callbacks
):
    frame = first_frame()
    with tenant_scope(world_a.tenant):
        with django_capture_on_commit_callbacks(execute=True):
            first = camera_snapshot_save(world_a.camera, frame)
        with django_capture_on_commit_callbacks(execute=True):
            second = camera_snapshot_save(world_a.camera, cv2.resize(frame, (1920, 1440)))
    storage = second.snapshot.storage
    assert first.snapshot.name != second.snapshot.name
    assert not storage.exists(first.snapshot.name) and storage.exists(second.snapshot.name)
    with second.snapshot.open("rb") as jpeg:
        assert decoded(jpeg.read()).shape == (960, 1280, 3)
    assert (second.frame_width, second.frame_height) == (frame.shape[1], frame.shape[0])  # set once, then kept


def test_the_snapshot_is_served_to_the_cameras_tenant_only(world_a, world_b):
    camera = snapshot_taken(world_a)
    url = reverse("camera-snapshot", args=[camera.pk])
    response = session_client(world_a.owner).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
    assert decoded(b"".join(response.streaming_content)).shape == first_frame().shape
    assert session_client(world_b.owner).get(url).status_code == 404
    assert APIClient().get(url).status_code == 302  # to the login page
    without_snapshot = reverse("camera-snapshot", args=[world_b.camera.pk])
    assert session_client(world_b.owner).get(without_snapshot).status_code == 404


def test_the_camera_api_gives_the_snapshot_address_read_only(world_a, world_b):
    client = session_client(world_a.owner)
    url = reverse("camera-detail", args=[world_a.camera.pk])
    assert client.get(url).json()["snapshot_url"] is None
    camera = snapshot_taken(world_a)
    address = client.get(url).json()["snapshot_url"]
    assert address == f"{reverse('camera-snapshot-image', args=[camera.pk])}?v={int(camera.snapshot_at.timestamp())}"
    assert client.get(address)["Content-Type"] == "image/jpeg"
    by_key = key_client(world_a.key).get(address)  # API keys too
    assert by_key.status_code == 200 and by_key["Content-Type"] == "image/jpeg"
    assert b"".join(by_key.streaming_content) == camera.snapshot.open("rb").read()
    assert key_client(world_b.key).get(address).status_code == 404
    response = client.patch(url, {"name": "Door", "snapshot_url": "https://elsewhere.example/x.jpg"}, format="json")
    assert response.status_code == 200 and response.json()["snapshot_url"] == address


def test_the_setup_page_draws_the_cameras_zones_and_lines_with_the_editing_tools(world_a):
    client = session_client(world_a.owner)
    url = reverse("camera-setup", args=[world_a.camera.pk])
    html = client.get(url).content.decode()
    assert "No snapshot yet: process a video of this camera." in html
    assert 'id="draw-zone"' in html and 'id="editor"' in html
    config = page_config(html)
    assert config["canEdit"] is True and config["camera"] == world_a.camera.pk
    assert config["zones"] == [{"id": world_a.zone.pk, "name": "Front", "kind": "area", "points": world_a.zone.polygon}]
    assert config["lines"] == [
        {"id": world_a.line.pk, "name": "Door", "points": world_a.line.points, "in_side": "left"}
    ]
    camera = snapshot_taken(world_a)
    html = client.get(url).content.decode()
    assert f'<img src="{camera.snapshot_url}"' in html and "No snapshot yet" not in html


def test_the_setup_page_and_the_api_say_how_the_last_video_was_analysed(world_a):
    client = session_client(world_a.owner)
    url = reverse("camera-setup", args=[world_a.camera.pk])
    assert (
        "The first video processed for this camera measures how large people appear" in client.get(url).content.decode()
    )
    with tenant_scope(world_a.tenant):
        Camera.objects.filter(pk=world_a.camera.pk).update(frame_width=768, frame_height=576)
        camera_detection_scale_save(
            world_a.camera,
            {"input_size": [960, 1280], "small_people": True, "people_height": 0.1, "basis": "measured",
             "people_height_seen": 0.09, "face_px": 11, "face_px_needed": 40},
            world_a.job.pk,
        )  # fmt: skip
    html = " ".join(client.get(url).content.decode().split())
    assert "Automatic: measured from the footage" in html and "<strong>1280x960 px</strong>" in html
    assert "about 52 px tall, with the thresholds for small people (measured in the footage" in html
    assert f'<a href="{reverse("job-page", args=[world_a.job.pk])}">job {world_a.job.pk}</a>' in html
    assert (
        "Faces are about 11 px tall: too small for age, gender and returning visitors, which need about 40 px" in html
    )
    scale = client.get(reverse("camera-detail", args=[world_a.camera.pk])).json()["detection_scale"]
    assert scale["input_size"] == [960, 1280] and scale["job"] == world_a.job.pk
    response = client.patch(reverse("camera-detail", args=[world_a.camera.pk]), {"detection_scale": {}}, format="json")
    assert response.status_code == 200 and response.json()["detection_scale"] == scale  # kept by jobs only


def test_a_viewer_sees_the_setup_page_read_only(world_a):
    viewer = get_user_model().objects.create_user("viewer", password=PASSWORD)
    Membership.objects.create(user=viewer, tenant=world_a.tenant, role=Membership.Role.VIEWER)
    response = session_client(viewer).get(reverse("camera-setup", args=[world_a.camera.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and "Your role is read-only (viewer)" in html
    assert 'id="draw-zone"' not in html and 'id="editor"' not in html
    config = page_config(html)
    assert config["canEdit"] is False and [z["name"] for z in config["zones"]] == ["Front"]


def test_the_dashboard_links_each_camera_setup_and_shows_the_snapshot_under_the_spatial_heatmap(world_a):
    camera = snapshot_taken(world_a)
    client = session_client(world_a.owner)
    setup = reverse("camera-setup", args=[camera.pk])
    assert f'href="{setup}"' in client.get(reverse("venue-page", args=[world_a.venue.pk])).content.decode()
    panel = client.get(reverse("venue-panel", args=[world_a.venue.pk, "spatial"])).content.decode()
    assert f"background-image:url('{camera.snapshot_url}')" in panel and f'href="{setup}"' in panel
