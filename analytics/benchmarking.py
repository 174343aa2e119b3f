"""What the HTTP benchmarks share: the product served by a real server process on a free local port."""

import os
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.db import connection


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_start(arguments: list[str], port: int) -> subprocess.Popen:
    """`python -m <arguments>` (gunicorn, uvicorn) on this database, once it accepts connections on `port`."""
    # as deployed (no per-query recording of DEBUG), over plain HTTP on the loopback
    env = {
        **os.environ,
        "DATABASE_NAME": connection.settings_dict["NAME"],
        "DJANGO_DEBUG": "false",
        "DJANGO_HTTPS": "false",
    }
    server = subprocess.Popen([sys.executable, "-m", *arguments], cwd=settings.BASE_DIR, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"{arguments[0]} did not start")
