"""Outside fetches are checked at every connection the worker makes: a redirect to a refused address, a direct
fetch of one (what a retry of a stored URL does) and a name that resolves elsewhere after its check all fail to
reach it. Two loopback servers stand for a public site (127.0.0.2, allowed by the test's policy) and a private one
(127.0.0.1, refused), so nothing here reaches the internet."""

import functools
import http.server
import shutil
import socket
import threading
import urllib.request
from ipaddress import ip_address

import pytest

from tests.vision.footage import FOOTAGE_DIR
from vision.egress import EgressProxy, UnsafeUrl, checked_addresses, pinned_url, public_only
from vision.sources import DownloadLimits, SourceError, StreamSource, download_video

CLIP = FOOTAGE_DIR / "TUD-Campus" / "TUD-Campus.mp4"
LIMITS = DownloadLimits(max_bytes=10_000_000, max_seconds=600)


def not_127_0_0_1(ip) -> bool:
    """The test's stand-in for `public_only`: 127.0.0.1 plays the private network."""
    return ip != ip_address("127.0.0.1")


class _Recorder(http.server.SimpleHTTPRequestHandler):
    """Serves its folder, answers /to?url=X with a redirect to X, and records every path asked for."""

    def do_GET(self):
        self.server.asked.append(self.path)
        if self.path.startswith("/to?url="):
            self.send_response(302)
            self.send_header("Location", self.path.removeprefix("/to?url="))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def servers(tmp_path):
    """(public, private): base URLs of two servers, each serving clip.mp4 and recording what was asked."""
    shutil.copy(CLIP, tmp_path / "clip.mp4")
    started = []
    for host in ("127.0.0.2", "127.0.0.1"):
        server = http.server.ThreadingHTTPServer((host, 0), functools.partial(_Recorder, directory=tmp_path))
        server.asked = []
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
    yield [(f"http://{s.server_address[0]}:{s.server_address[1]}", s.asked) for s in started]
    for server in started:
        server.shutdown()
        server.server_close()


def test_an_allowed_address_downloads_through_the_checking_proxy(servers, tmp_path):
    (public, public_asked), (_, private_asked) = servers
    path = download_video(f"{public}/clip.mp4", tmp_path / "out", LIMITS, not_127_0_0_1)
    assert path.read_bytes() == CLIP.read_bytes()
    assert set(public_asked) == {"/clip.mp4"} and private_asked == []


def test_a_redirect_to_a_refused_address_is_not_followed(servers, tmp_path):
    (public, public_asked), (private, private_asked) = servers
    with pytest.raises(SourceError, match=r"points to a private or reserved address \(127\.0\.0\.1\)"):
        download_video(f"{public}/to?url={private}/clip.mp4", tmp_path / "out", LIMITS, not_127_0_0_1)
    assert public_asked and public_asked[0].startswith("/to?url=")
    assert private_asked == []  # the private server was never reached


def test_the_worker_checks_a_stored_url_itself(servers, tmp_path):
    """What a retry does: fetch the URL stored with the job, with no check at creation in between."""
    (_, _), (private, private_asked) = servers
    with pytest.raises(SourceError, match="private or reserved address"):
        download_video(f"{private}/clip.mp4", tmp_path / "out", LIMITS, not_127_0_0_1)
    with pytest.raises(SourceError, match="private or reserved address"):
        download_video(f"{private}/clip.mp4", tmp_path / "out", LIMITS, public_only)
    assert private_asked == []


def test_a_name_is_fetched_from_the_address_that_was_checked(servers, monkeypatch):
    """DNS rebinding: the name resolves to an allowed address when checked and to a refused one on any later
    lookup; the connection goes where the check looked."""
    (public, public_asked), (_, private_asked) = servers
    port = int(public.rsplit(":", 1)[1])
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["127.0.0.2"])

    def rebinding(host, *args, **kwargs):
        if host != "video.test":
            return real_getaddrinfo(host, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers, "127.0.0.1"), port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with EgressProxy(not_127_0_0_1) as proxy:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy.url}))
        with opener.open(f"http://video.test:{port}/clip.mp4", timeout=10) as answer:
            assert answer.read() == CLIP.read_bytes()
    assert public_asked == ["/clip.mp4"] and private_asked == []


def test_a_stream_is_opened_on_the_checked_address_only(servers):
    (_, _), (private, private_asked) = servers
    with pytest.raises(SourceError, match=r"^The stream URL is refused: 127\.0\.0\.1 points to a private"):
        StreamSource(f"{private}/clip.mp4", threading.Event(), public_only, open_timeout_s=2)
    assert private_asked == []


def test_pinned_url_keeps_credentials_port_and_path():
    assert (
        pinned_url("rtsp://user:pw@localhost:8554/live?x=1", lambda ip: True)
        == "rtsp://user:pw@127.0.0.1:8554/live?x=1"
    )
    assert pinned_url("rtsp://[::1]/live", lambda ip: True) == "rtsp://[::1]/live"
    with pytest.raises(UnsafeUrl, match="does not resolve"):
        checked_addresses("no-such-host.invalid", 554, lambda ip: True)
