"""What the HTTP benchmarks share: the product served by a real server process on a free local port."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

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


def server_processes(server: subprocess.Popen) -> list[int]:
    """The server's process and its workers, and PostgreSQL's server process (whose figures include its ended
    backends') and its processes; empty where /proc is missing."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    try:
        postmaster = _stat(backend)[1]
        parents = {server.pid, postmaster}
        children = [pid for pid in _pids() if _stat(pid)[1] in parents]
    except OSError:
        return []
    return [server.pid, postmaster, *children]


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) of these processes and of their children that ended, so far."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):  # one that ended since (a worker restarted) counts in its parent's
            total += sum(_stat(pid)[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def _pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _stat(pid: int) -> list[int]:
    """The fields of /proc/<pid>/stat after the command, as numbers (the state as 0): [1] is the parent."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return [0, *map(int, fields[1:])]
