"""scripts/run.sh runs the Procfile under honcho: the web server, both workers and beat. With Redis down, an upload is
answered at once and the web server stops within seconds when asked, with a live feed reconnecting (an upload used
to hold it for 19 s and more)."""

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
from django.db import connection

from tests.conftest import build_world
from tests.vision.footage import FOOTAGE_DIR

ROOT = Path(__file__).resolve().parent.parent
CLIP = FOOTAGE_DIR / "TUD-Campus" / "TUD-Campus.mp4"


def _procfile() -> dict[str, str]:
    lines = [line for line in (ROOT / "Procfile").read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split(": ", 1) for line in lines)


def test_the_procfile_runs_the_web_server_both_workers_and_beat():
    processes = _procfile()
    assert set(processes) == {"web", "vision", "default", "beat"}
    assert "-Q vision" in processes["vision"] and "-Q default" in processes["default"]
    assert "celery -A config beat" in processes["beat"]
    assert "honcho start" in (ROOT / "scripts" / "run.sh").read_text()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_web_server_stops_within_seconds_with_a_live_stream_open_and_redis_down(transactional_db, tmp_path):
    world = build_world("Alpha Stores")
    port, nowhere = _free_port(), f"redis://127.0.0.1:{_free_port()}/0"  # nobody listens there: Redis is down
    env = {**os.environ, "DATABASE_NAME": connection.settings_dict["NAME"], "WEB_PORT": str(port),
           "HOST": "127.0.0.1", "REDIS_URL": nowhere, "LIVE_REDIS_URL": nowhere}  # fmt: skip
    log = (tmp_path / "web.log").open("w")
    server = subprocess.Popen(["sh", "-c", "exec " + _procfile()["web"]], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert time.monotonic() < deadline and server.poll() is None, (tmp_path / "web.log").read_text()
            time.sleep(0.2)
        opened = threading.Event()

        def listen():
            """A dashboard's live feed: it reconnects whenever the stream ends, as browsers do."""
            url = f"http://127.0.0.1:{port}/api/v1/venues/{world.venue.pk}/events/stream"
            while server.poll() is None:
                try:
                    with httpx.stream(
                        "GET", url, headers={"Authorization": f"Api-Key {world.key}"}, timeout=60
                    ) as answer:
                        opened.set()
                        for _ in answer.iter_raw():
                            pass
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)

        uploaded = []

        def upload():
            """A video uploaded while Redis is down: the job is kept and the answer comes at once."""
            files = {"file": ("clip.mp4", CLIP.read_bytes(), "video/mp4")}
            answer = httpx.post(f"http://127.0.0.1:{port}/api/v1/jobs/", data={"camera": world.camera.pk},
                                files=files, headers={"Authorization": f"Api-Key {world.key}"}, timeout=60)  # fmt: skip
            uploaded.append(answer.status_code)

        threading.Thread(target=listen, daemon=True).start()
        assert opened.wait(30), (tmp_path / "web.log").read_text()
        sender = threading.Thread(target=upload)
        sender.start()
        time.sleep(1)
        asked = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        assert time.monotonic() - asked < 10
        sender.join(30)
        assert uploaded == [201]
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()
