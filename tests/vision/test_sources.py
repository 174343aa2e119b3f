"""Frame sources on real footage, the MP4 recording time, URL safety checks, and downloads/streams from a
local HTTP server (loopback only, allowed as an on-premises install allows it: nothing here reaches the internet)."""

import contextlib
import functools
import http.server
import itertools
import shutil
import socket
import struct
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.vision.footage import FOOTAGE_DIR
from vision.egress import UnsafeUrl, any_address, check_url
from vision.sources import (
    DownloadLimits,
    ImageFolderSource,
    SourceError,
    StreamSource,
    VideoFileSource,
    download_video,
    mp4_creation_time,
)

CLIP = FOOTAGE_DIR / "TUD-Campus" / "TUD-Campus.mp4"
MOT_IMAGES = FOOTAGE_DIR / "MOT17-04-mini8" / "img1"
EPOCH_1904 = datetime(1904, 1, 1, tzinfo=UTC)


# --- Video files and image folders -----------------------------------------------------------------


def test_video_file_info():
    info = VideoFileSource(CLIP).info
    assert (info.width, info.height, info.fps, info.frame_count) == (640, 480, 25.0, 71)
    assert info.duration == pytest.approx(2.84)
    assert info.recorded_at is None


def test_all_frames_with_their_presentation_time():
    frames = list(VideoFileSource(CLIP).frames(None))
    assert [f.index for f in frames] == list(range(71))
    assert [f.pts for f in frames] == pytest.approx([i / 25 for i in range(71)])
    assert all(f.image.shape == (480, 640, 3) for f in frames)
    assert frames[0].image.std() > 10  # real picture content, not a blank frame


def test_frames_sampled_at_the_analysis_rate():
    frames = list(VideoFileSource(CLIP).frames(8))
    pts = [f.pts for f in frames]
    gaps = [b - a for a, b in itertools.pairwise(pts)]
    assert 22 <= len(frames) <= 24  # 2.84 s at 8 fps
    assert pts[0] == 0.0 and pts == sorted(pts)
    assert max(gaps) <= 0.16 + 1e-9 and min(gaps) >= 0.08 - 1e-9  # 1/8 s on a 1/25 s grid
    assert sum(gaps) / len(gaps) == pytest.approx(1 / 8, abs=0.01)
    assert all(f.image.shape == (480, 640, 3) for f in frames)
    assert all(f.pts == pytest.approx(f.index / 25) for f in frames)


def test_a_file_that_is_not_a_video_raises_a_plain_source_error(tmp_path):
    junk = tmp_path / "holiday.mp4"
    junk.write_bytes(b"\x00\x01 this is not a video at all " * 100)
    with pytest.raises(SourceError) as error:
        VideoFileSource(junk)
    assert str(error.value) == "holiday.mp4 is not a video this server can decode."


def test_image_folder_source_reads_fps_from_seqinfo():
    source = ImageFolderSource(MOT_IMAGES)
    info = source.info
    assert (info.width, info.height, info.fps, info.frame_count) == (1920, 1080, 30.0, 8)
    frames = list(source.frames(None))
    assert [f.index for f in frames] == list(range(8))
    assert [f.pts for f in frames] == pytest.approx([i / 30 for i in range(8)])
    assert all(f.image.shape == (1080, 1920, 3) for f in frames)
    assert [f.index for f in source.frames(10)] == [0, 3, 6]  # 10 fps out of 30


def test_an_empty_image_folder_raises_source_error(tmp_path):
    with pytest.raises(SourceError, match="No images in"):
        ImageFolderSource(tmp_path)


# --- The MP4 recording time ------------------------------------------------------------------------


def _with_creation_time(tmp_path: Path, when: datetime) -> Path:
    """A copy of the clip whose mvhd (version 0) creation time is `when`."""
    data = bytearray(CLIP.read_bytes())
    at = data.find(b"mvhd")
    assert data[at + 4] == 0  # version 0: 32-bit seconds since 1904 after version and flags
    data[at + 8 : at + 12] = struct.pack(">I", int((when - EPOCH_1904).total_seconds()))
    path = tmp_path / "stamped.mp4"
    path.write_bytes(bytes(data))
    return path


def test_the_clip_has_no_creation_time():
    assert mp4_creation_time(CLIP) is None


def test_a_patched_creation_time_is_read_back(tmp_path):
    when = datetime(2024, 6, 15, 9, 30, 12, tzinfo=UTC)
    path = _with_creation_time(tmp_path, when)
    assert mp4_creation_time(path) == when
    assert VideoFileSource(path).info.recorded_at == when  # and the patched file still decodes


@pytest.mark.parametrize(
    "when",
    [datetime(1950, 1, 1, tzinfo=UTC), datetime(1989, 12, 31, tzinfo=UTC), datetime.now(UTC) + timedelta(days=30)],
    ids=["1950", "1989", "next-month"],
)
def test_absurd_creation_times_are_ignored(tmp_path, when):
    assert mp4_creation_time(_with_creation_time(tmp_path, when)) is None


def test_creation_time_of_a_moov_at_the_end_of_a_large_file(tmp_path):
    """A camera-style MP4 (media data first, moov last) larger than the 4 MB read at the start."""
    data = CLIP.read_bytes()
    at = data.find(b"moov") - 4
    (moov_size,) = struct.unpack(">I", data[at : at + 4])
    moov = bytearray(data[at : at + moov_size])
    when = datetime(2023, 11, 5, 18, 0, tzinfo=UTC)
    m = moov.find(b"mvhd")
    moov[m + 8 : m + 12] = struct.pack(">I", int((when - EPOCH_1904).total_seconds()))
    padding = 5 * 2**20
    path = tmp_path / "moov-last.mp4"
    path.write_bytes(data[:32] + struct.pack(">I", padding + 8) + b"mdat" + b"\0" * padding + bytes(moov))
    assert mp4_creation_time(path) == when


def test_creation_time_of_a_missing_or_foreign_file_is_none(tmp_path):
    assert mp4_creation_time(tmp_path / "nope.mp4") is None
    other = tmp_path / "notes.txt"
    other.write_text("no boxes here")
    assert mp4_creation_time(other) is None


# --- URL safety ------------------------------------------------------------------------------------

VIDEO_SITES = ["youtube.com", "vimeo.com"]


def test_a_scheme_that_is_not_listed_is_refused():
    with pytest.raises(UnsafeUrl, match=r"^Only http://, https:// URLs are accepted\.$"):
        check_url("ftp://youtube.com/a.mp4", schemes=("http", "https"), allowed_hosts=VIDEO_SITES, allow_private=True)
    with pytest.raises(UnsafeUrl, match="Only"):
        check_url("file:///etc/passwd", schemes=("http", "https"), allowed_hosts=None, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.net/a.mp4",
        "https://notyoutube.com/watch",
        "https://youtube.com.evil.net/watch",
        "https://youtube.com@10.0.0.5/watch",
    ],
)
def test_a_host_that_is_not_allowed_is_refused(url):
    with pytest.raises(UnsafeUrl, match=r"are not accepted; allowed hosts: youtube\.com, vimeo\.com\.$"):
        check_url(url, schemes=("http", "https"), allowed_hosts=VIDEO_SITES, allow_private=True)


def test_a_url_without_host_is_refused():
    with pytest.raises(UnsafeUrl, match="has no host"):
        check_url("https:///a.mp4", schemes=("https",), allowed_hosts=None, allow_private=True)


@pytest.mark.parametrize(
    "url", ["https://www.youtube.com/watch?v=x", "https://M.YouTube.com./watch", "https://vimeo.com/1"]
)
def test_allowed_hosts_and_their_subdomains_are_accepted(url):
    assert check_url(url, schemes=("http", "https"), allowed_hosts=VIDEO_SITES, allow_private=True) is None


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://localhost/a.mp4", "127.0.0.1"),
        ("http://127.0.0.1:8080/a.mp4", "127.0.0.1"),
        ("http://10.0.0.5/a.mp4", "10.0.0.5"),
        ("http://192.168.1.20/a.mp4", "192.168.1.20"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("http://[::1]/a.mp4", "::1"),
        ("http://0.0.0.0/a.mp4", "0.0.0.0"),
        ("http://[::ffff:127.0.0.1]/a.mp4", "::ffff:7f00:1"),
        ("http://2130706433/a.mp4", "127.0.0.1"),  # 127.0.0.1 as one decimal number
        ("rtsp://10.1.2.3:554/live", "10.1.2.3"),
    ],
)
def test_private_and_reserved_addresses_are_refused(url, address):
    with pytest.raises(UnsafeUrl, match="points to a private or reserved address") as error:
        check_url(url, schemes=("http", "https", "rtsp"), allowed_hosts=None, allow_private=False)
    assert f"({address})" in str(error.value)


def test_private_addresses_are_accepted_on_premises():
    check_url("rtsp://10.1.2.3:554/live", schemes=("rtsp",), allowed_hosts=None, allow_private=True)
    check_url("http://localhost:8000/a.mp4", schemes=("http",), allowed_hosts=["localhost"], allow_private=True)


def test_any_host_when_no_allow_list():
    check_url("https://cdn.example.org/clip.mp4", schemes=("https",), allowed_hosts=None, allow_private=True)
    with pytest.raises(UnsafeUrl, match="allowed hosts: none"):
        check_url("https://cdn.example.org/clip.mp4", schemes=("https",), allowed_hosts=[], allow_private=True)


def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(UnsafeUrl, match=r"^The host no-such-host\.invalid does not resolve\.$"):
        check_url("https://no-such-host.invalid/a.mp4", schemes=("https",), allowed_hosts=None, allow_private=False)


# --- Downloads and streams from a local HTTP server ------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def handle(self):
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client that stops reading early
            super().handle()


@pytest.fixture(scope="module")
def http_base(tmp_path_factory):
    """http://127.0.0.1:<port> serving a folder with clip.mp4 (a copy of TUD-Campus.mp4)."""
    folder = tmp_path_factory.mktemp("served")
    shutil.copy(CLIP, folder / "clip.mp4")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=folder))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_download_a_direct_video_link(http_base, tmp_path):
    base, _ = http_base
    path = download_video(
        f"{base}/clip.mp4", tmp_path, DownloadLimits(max_bytes=10_000_000, max_seconds=600), any_address
    )
    assert path.parent == tmp_path and path.suffix == ".mp4"
    assert path.read_bytes() == CLIP.read_bytes()
    source = VideoFileSource(path)
    assert source.info.frame_count == 71
    assert len(list(source.frames(None))) == 71


def test_a_download_over_the_size_limit_is_refused(http_base, tmp_path):
    base, _ = http_base
    with pytest.raises(
        SourceError, match=r"^The video was not downloaded: it is larger than the limit of 1000 bytes\.$"
    ):
        download_video(f"{base}/clip.mp4", tmp_path, DownloadLimits(max_bytes=1000, max_seconds=600), any_address)
    assert list(tmp_path.iterdir()) == []  # nothing half-written left behind


def test_the_size_limit_message_states_the_limit(http_base, tmp_path):
    base, _ = http_base
    with pytest.raises(SourceError) as error:
        download_video(f"{base}/clip.mp4", tmp_path, DownloadLimits(max_bytes=1000, max_seconds=600), any_address)
    assert " 0 MB" not in str(error.value)


def test_a_missing_video_gives_a_readable_error(http_base, tmp_path):
    base, _ = http_base
    with pytest.raises(SourceError) as error:
        download_video(
            f"{base}/missing.mp4", tmp_path, DownloadLimits(max_bytes=10_000_000, max_seconds=600), any_address
        )
    message = str(error.value)
    assert message.startswith("The video could not be downloaded: ")
    assert "HTTP Error 404" in message and "ERROR:" not in message


def test_a_video_longer_than_allowed_says_so(http_base, tmp_path):
    """A page whose JSON-LD says the video lasts two hours (yt-dlp's generic extractor reads it)."""
    base, folder = http_base
    (folder / "long.html").write_text(
        '<!DOCTYPE html><html><head><title>Long clip</title><script type="application/ld+json">'
        '{"@context": "https://schema.org", "@type": "VideoObject", "name": "Long clip", "duration": "PT2H", '
        f'"uploadDate": "2024-01-01", "thumbnailUrl": "{base}/t.jpg", "contentUrl": "{base}/clip.mp4"}}'
        "</script></head><body></body></html>"
    )
    with pytest.raises(SourceError) as error:
        download_video(
            f"{base}/long.html", tmp_path, DownloadLimits(max_bytes=10_000_000, max_seconds=600), any_address
        )
    assert "7200" in str(error.value) and "600" in str(error.value)


def test_a_stream_is_read_until_stopped(http_base):
    base, _ = http_base
    stop = threading.Event()
    source = StreamSource(f"{base}/clip.mp4", stop, any_address, open_timeout_s=5)
    assert (source.info.width, source.info.height, source.info.frame_count) == (640, 480, None)
    assert datetime.now(UTC) - source.info.recorded_at < timedelta(seconds=30)
    frames = []
    for frame in source.frames(None):
        frames.append(frame)
        if len(frames) == 10:
            stop.set()
    assert len(frames) == 10  # nothing after the stop
    assert [f.index for f in frames] == list(range(10))
    pts = [f.pts for f in frames]
    assert all(b > a for a, b in itertools.pairwise(pts)) and pts[0] >= 0
    assert all(f.image.shape == (480, 640, 3) for f in frames)
    assert not source._capture.isOpened()  # released once the generator ends


def test_a_stream_that_ends_raises_source_error(http_base):
    base, _ = http_base
    source = StreamSource(f"{base}/clip.mp4", threading.Event(), any_address, open_timeout_s=5)
    seen = 0
    with pytest.raises(SourceError, match=r"^The stream stopped sending video\.$"):
        for _ in source.frames(None):
            seen += 1
    assert seen == 71


def test_a_stream_on_a_closed_port_fails_promptly():
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(SourceError, match="Could not connect to the stream"):
        StreamSource(f"http://127.0.0.1:{port}/live.mp4", threading.Event(), any_address, open_timeout_s=2)
    assert time.monotonic() - started < 3
