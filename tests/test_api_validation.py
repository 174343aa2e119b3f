"""Bad input on every write endpoint: a 400 that names the field and says why, never a 500."""

import pytest
from django.urls import reverse

from config.api_urls import router
from tests.conftest import session_client

pytestmark = pytest.mark.django_db

JUNK = [None, "", "x" * 5000, -1, 10**20, 1.5, True, [], {}, "\u0000", [[0, 0]], "9999999999", {"$gt": ""}]


def _valid_bodies(world):
    """One valid body per endpoint, so that each junk value is the only thing wrong."""
    return {
        "venue": {"name": "Corner shop", "time_zone": "Europe/Rome", "latitude": 45.0, "longitude": 9.0},
        "camera": {"venue": world.venue.pk, "name": "Aisle 4", "role": "floor"},
        "zone": {"camera": world.camera.pk, "name": "Bakery", "kind": "area", "polygon": [[0, 0], [1, 0], [1, 1]]},
        "line": {"camera": world.camera.pk, "name": "Side door", "points": [[0, 0.5], [1, 0.5]], "in_side": "right"},
        "api-key": {"name": "till"},
        "job": {"camera": world.camera.pk, "url": "http://localhost/clip.mp4"},
        "alert-rule": {"venue": world.venue.pk, "kind": "crowding", "params": {"max_occupancy": 40}},
        "alert-recipient": {"email": "manager@example.com"},
        "benchmark-reference": {"venue_type": "grocery", "figure": "visitors_per_day", "value": 850},
    }


def _write_endpoints():
    """Endpoints that create objects (visitors are only read, marked and erased: see test_reid_api)."""
    return [basename for _, viewset, basename in router.registry if hasattr(viewset, "create")]


@pytest.fixture(autouse=True)
def _local_video_urls(settings):
    settings.VIDEO_URL_ALLOWED_HOSTS = ["localhost"]
    settings.VIDEO_URL_ALLOW_PRIVATE = True


@pytest.mark.parametrize("basename", _write_endpoints())
def test_every_field_rejects_junk_with_a_field_error_never_500(world_a, basename):
    client = session_client(world_a.owner)
    valid = _valid_bodies(world_a)[basename]
    detail_url = reverse(f"{basename}-detail", args=[world_a.objects()[basename].pk])
    viewset = dict((name, viewset) for _, viewset, name in router.registry)[basename]
    view = viewset(action="create")
    serializer_class = getattr(viewset, "create_serializer_class", None) or view.get_serializer_class()
    writable = [name for name, field in serializer_class().fields.items() if not field.read_only]
    methods = [("post", reverse(f"{basename}-list"))]
    if hasattr(viewset, "partial_update"):
        methods.append(("patch", detail_url))
    for field in writable:
        for junk in JUNK:
            for method, url in methods:
                body = {**valid, field: junk} if method == "post" else {field: junk}  # a PATCH changes one field
                response = getattr(client, method)(url, body, format="json")
                assert response.status_code in (200, 201, 400), (method, field, junk, response.status_code)
                if response.status_code == 400:
                    errors = response.json()
                    assert isinstance(errors, dict) and errors, (field, junk)
                    assert set(errors) & {field, "non_field_errors", "detail", "latitude"}, (field, junk, errors)
                elif method == "post":  # accepted: clean up so the next valid body is not a duplicate
                    client.delete(f"{reverse(f'{basename}-list')}{response.json()['id']}/")


@pytest.mark.parametrize("basename", _write_endpoints())
@pytest.mark.parametrize(
    ("body", "content_type"),
    [("{not json", "application/json"), ("[1, 2]", "application/json"), ('"text"', "application/json"),
     ("", "application/json"), ("name=%00", "application/x-www-form-urlencoded"), ("\xff\xfe", "text/plain")],
)  # fmt: skip
def test_unparseable_bodies_get_4xx(world_a, basename, body, content_type):
    client = session_client(world_a.owner)
    response = client.generic("POST", reverse(f"{basename}-list"), body, content_type=content_type)
    assert 400 <= response.status_code < 500, (basename, body, response.status_code)
    assert response.json()


CASES = [
    ("venue", {"name": "x", "time_zone": "Mars/Olympus"}, "time_zone", "Unknown time zone"),
    ("venue", {"name": "x", "latitude": 95, "longitude": 1}, "latitude", "less than or equal to 90"),
    ("venue", {"name": "x", "latitude": 45}, "latitude", "both latitude and longitude"),
    ("venue", {"name": "x", "opening_hours": {"funday": []}}, "opening_hours", "Unknown day 'funday'"),
    ("venue", {"name": "x", "opening_hours": {"mon": ["9-5"]}}, "opening_hours", "not an interval"),
    ("venue", {"name": "x", "country": "France"}, "country", "two-letter"),
    ("venue", {"name": "x", "venue_type": "spaceport"}, "venue_type", "not a valid choice"),
    ("venue", {"time_zone": "UTC"}, "name", "required"),
    ("camera", {"venue": 10**9, "name": "x"}, "venue", "does not exist"),
    ("camera", {"venue": "abc", "name": "x"}, "venue", "Incorrect type"),
    ("camera", {"name": "x"}, "venue", "required"),
    ("camera", {"venue": "VENUE", "name": "x", "stream_url": "ftp://cam/1"}, "stream_url", "valid URL"),
    ("camera", {"venue": "VENUE", "name": "x", "frame_width": -5}, "frame_width", "greater than or equal to 0"),
    ("camera", {"venue": "VENUE", "name": "Entrance"}, "non_field_errors", "unique"),
    ("zone", {"camera": "CAMERA", "name": "z", "polygon": [[0, 0], [1, 1]]}, "polygon", "at least 3 points, got 2"),
    ("zone", {"camera": "CAMERA", "name": "z", "polygon": [[0, 0], [1.5, 0], [1, 1]]}, "polygon", "outside the image"),
    ("zone", {"camera": "CAMERA", "name": "z", "polygon": [[0, 0], [1, 1], [1, 0], [0, 1]]}, "polygon", "crosses itself"),
    ("zone", {"camera": "CAMERA", "name": "z", "polygon": [[0, 0], [0.5, 0.5], [1, 1]]}, "polygon", "no area"),
    ("zone", {"camera": "CAMERA", "name": "z", "polygon": [["a", 0], [1, 0], [1, 1]]}, "polygon", "pair of numbers"),
    ("zone", {"camera": "CAMERA", "name": "z", "polygon": [[0, 0], [1, 0], [1, 1]], "kind": "sofa"}, "kind", "valid choice"),
    ("line", {"camera": "CAMERA", "name": "l", "points": [[0, 0], [1, 1], [1, 0]]}, "points", "two points"),
    ("line", {"camera": "CAMERA", "name": "l", "points": [[0.3, 0.3], [0.3, 0.3]]}, "points", "are the same"),
    ("line", {"camera": "CAMERA", "name": "l", "points": [[0, 0], [1, 1]], "in_side": "up"}, "in_side", "valid choice"),
    ("api-key", {"name": "k", "venue": 10**9}, "venue", "does not exist"),
    ("api-key", {"name": "k", "expires_at": "yesterday"}, "expires_at", "wrong format"),
    ("api-key", {}, "name", "required"),
]  # fmt: skip


@pytest.mark.parametrize(("basename", "body", "field", "message"), CASES)
def test_errors_name_the_field_and_say_why(world_a, basename, body, field, message):
    refs = {"VENUE": world_a.venue.pk, "CAMERA": world_a.camera.pk}
    body = {key: refs.get(value, value) if isinstance(value, str) else value for key, value in body.items()}
    response = session_client(world_a.owner).post(reverse(f"{basename}-list"), body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert field in errors, errors
    assert message in " ".join(map(str, errors[field])), errors[field]


def test_a_duplicate_explicit_slug_is_a_field_error(world_a):
    client = session_client(world_a.owner)
    response = client.post(reverse("venue-list"), {"name": "Other", "slug": world_a.venue.slug}, format="json")
    assert response.status_code == 400
    assert "already uses the slug" in response.json()["slug"][0]


def test_same_name_gets_a_free_slug_and_an_h3_cell(world_a):
    client = session_client(world_a.owner)
    body = {"name": world_a.venue.name, "latitude": 48.8584, "longitude": 2.2945}
    created = client.post(reverse("venue-list"), body, format="json").json()
    assert created["slug"] == f"{world_a.venue.slug}-2"
    assert created["h3_cell"] == "891fb46741bffff"  # resolution 9, centred about 120 m from the point
