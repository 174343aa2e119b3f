"""Self-serve count audits: a person's count of a line's crossings on a job's review clip, beside the product's."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from core.tenancy import tenant_scope
from ingest.models import VideoJob
from ingest.writer import Origin, events_write
from tests.conftest import key_client, session_client
from vision.events import LineCrossed

pytestmark = pytest.mark.django_db
START = datetime(2026, 11, 20, 9, tzinfo=UTC)


@pytest.fixture
def footage(world_a):
    """World A's job as a finished 60 s file whose Door line was crossed in at 5, 12 and 40 s and out at 20 s."""
    with tenant_scope(world_a.tenant):
        VideoJob.objects.filter(pk=world_a.job.pk).update(
            status=VideoJob.Status.SUCCEEDED, recording_start=START, video_seconds_total=60.0
        )
        origin = Origin(f"job:{world_a.job.pk}", world_a.tenant.pk, world_a.venue.pk, world_a.camera.pk, world_a.job.pk)
        crossings = [LineCrossed(n, START + timedelta(seconds=s), "Door", d)
                     for n, (s, d) in enumerate([(5, "in"), (12, "in"), (20, "out"), (40, "in")], 1)]  # fmt: skip
        events_write(origin, crossings, {}, {"Door": world_a.line.pk})
    return world_a


def audit(client, world, **body):
    url = reverse("job-audits", args=[world.job.pk])
    return client.post(url, {"line": world.line.pk, "start_seconds": 0, "end_seconds": 30, **body}, format="json")


def test_an_audit_keeps_the_persons_count_beside_the_products_count_of_the_same_stretch(footage, world_b):
    client = session_client(footage.owner)
    response = audit(client, footage, counted_in=3, counted_out=1)  # the person saw one more coming in
    assert response.status_code == 201, response.json()
    assert {k: response.json()[k] for k in ("counted_in", "counted_out", "measured_in", "measured_out")} == {
        "counted_in": 3, "counted_out": 1, "measured_in": 2, "measured_out": 1}  # fmt: skip
    assert audit(key_client(footage.key), footage, start_seconds=30, end_seconds=60, counted_in=1,
                 counted_out=0).json()["measured_in"] == 1  # fmt: skip
    listed = client.get(reverse("job-audits", args=[footage.job.pk])).json()
    assert [(a["start_seconds"], a["end_seconds"]) for a in listed] == [(30.0, 60.0), (0.0, 30.0)]

    # 5 crossings counted by people, the product off by one: 80 % agree, on the camera page and the dashboard
    camera_page = client.get(reverse("camera-setup", args=[footage.camera.pk])).content.decode()
    assert "Counts checked by people: 80 % agree over 2 audits, 5 crossings." in camera_page
    overview = client.get(reverse("analytics-overview", args=[footage.venue.pk])).json()["count_audits"]
    assert overview == {"audits": 2, "crossings": 5, "accuracy": 0.8}
    assert audit(key_client(world_b.key), footage, counted_in=1, counted_out=0).status_code == 404  # another tenant


@pytest.mark.parametrize(("body", "reason"), [
    ({"start_seconds": 30, "end_seconds": 10}, "The stretch must start before it ends, within the footage."),
    ({"end_seconds": 90}, "The stretch must start before it ends, within the footage."),
    ({"counted_in": -1}, "Ensure this value is greater than or equal to 0."),
])  # fmt: skip
def test_an_audit_that_cannot_be_compared_is_refused_in_plain_words(footage, body, reason):
    response = audit(session_client(footage.owner), footage, **{"counted_in": 1, "counted_out": 0, **body})
    assert response.status_code == 400 and reason in str(response.json())


def test_without_audits_the_camera_page_says_how_to_make_one(world_a):
    page = session_client(world_a.owner).get(reverse("camera-setup", args=[world_a.camera.pk])).content.decode()
    assert "No count audit yet: count the crossings of a line on a job's review clip" in page
    with tenant_scope(world_a.tenant):  # a job still running cannot be audited
        response = audit(session_client(world_a.owner), world_a, counted_in=1, counted_out=0)
    assert response.status_code == 400 and "Only a finished video job" in str(response.json())
