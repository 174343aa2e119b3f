"""Bodies over their limit are refused before the rest reaches the disk: a declared size at once, a file the moment
its bytes pass VIDEO_UPLOAD_MAX_BYTES, and at the ASGI door a body that says nothing of its size."""

import re
import socket
import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.tenancy import tenant_scope
from ingest.models import VideoJob
from tests.asgi_server import asgi_server  # noqa: F401 (fixture)
from tests.conftest import session_client
from tests.vision.footage import FOOTAGE_DIR

CLIP = (FOOTAGE_DIR / "TUD-Campus" / "TUD-Campus.mp4").read_bytes()  # 298 kB


def _jobs(world) -> int:
    with tenant_scope(world.tenant):
        return VideoJob.objects.count()


def _temporary_files() -> set[Path]:
    return {p for p in Path(tempfile.gettempdir()).iterdir() if p.name.endswith(".upload.mp4")}


@pytest.mark.django_db
def test_a_file_stopped_at_the_limit_leaves_no_temporary_file_and_no_job(world_a, settings):
    settings.VIDEO_UPLOAD_MAX_BYTES = 100_000  # the body declares 300 kB: under the 1.1 MB a form may add up to
    before, files_before = _jobs(world_a), _temporary_files()
    response = session_client(world_a.owner).post(
        reverse("job-batch"), {"camera": world_a.camera.pk, "files": [SimpleUploadedFile("a.mp4", CLIP[:50_000]),
                                                                      SimpleUploadedFile("b.mp4", CLIP)]}
    )  # fmt: skip
    assert response.status_code == 413
    assert response.json() == {"detail": "'b.mp4' is larger than the limit of 97.7 kB; it was not kept."}
    assert _jobs(world_a) == before and _temporary_files() <= files_before  # not even the first, smaller file


@pytest.mark.django_db
def test_a_declared_size_over_the_limit_is_refused_before_reading(world_a, settings):
    settings.VIDEO_UPLOAD_MAX_BYTES = 1000  # a body may declare 1000 bytes and 1 MB of form: this one is 1.5 MB
    response = session_client(world_a.owner).post(
        reverse("job-list"), {"camera": world_a.camera.pk, "file": SimpleUploadedFile("clip.mp4", CLIP * 5)}
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The upload is 1.46 MB; at most 1000 bytes per file are accepted."}


@pytest.mark.django_db
def test_the_upload_page_says_the_limit_in_its_own_message(world_a, settings):
    settings.VIDEO_UPLOAD_MAX_BYTES = 100_000
    response = session_client(world_a.owner).post(
        reverse("jobs-create"), {"camera": world_a.camera.pk, "files": [SimpleUploadedFile("big.mp4", CLIP)]}
    )
    assert response.status_code == 413
    assert "&#x27;big.mp4&#x27; is larger than the limit of 97.7 kB; it was not kept." in response.content.decode()
    assert _jobs(world_a) == 1  # the world's own job only


def _raw_post(base: str, path: str, head: str, body: bytes = b"") -> tuple[str, bytes]:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as connection:
        connection.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\n{head}\r\n".encode() + body)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return status_line.decode(), rest.partition(b"\r\n\r\n")[2]


def test_the_asgi_door_refuses_a_declared_size_without_reading_the_body(asgi_server):  # noqa: F811
    status, body = _raw_post(asgi_server, "/api/v1/jobs/", "Content-Length: 10000000000\r\n"
                             "Content-Type: multipart/form-data; boundary=x\r\n")  # fmt: skip
    assert status == "HTTP/1.1 413 Request Entity Too Large"
    assert b"The upload is 9.31 GB; at most 2 GB per file are accepted." in body


def test_the_asgi_door_stops_a_body_that_does_not_say_its_size(asgi_server, settings):  # noqa: F811
    settings.API_MAX_BODY_BYTES = 1000
    chunk = b"x" * 600
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(4)) + b"0\r\n\r\n"
    status, body = _raw_post(asgi_server, "/api/v1/edge/events/", "Transfer-Encoding: chunked\r\n"
                             "Content-Type: application/json\r\n", chunked)  # fmt: skip
    assert status == "HTTP/1.1 413 Request Entity Too Large"
    assert re.search(rb"The request body is [12],[0-9]00 bytes; at most 1,000 are accepted", body)  # what came so far
