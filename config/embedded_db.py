"""An embedded PostgreSQL (with pgvector) for machines that have no DATABASE_URL.

PyPI's `pgserver` ships PostgreSQL 16 and pgvector. The server is started in a data folder of the
project and left running (cleanup_mode=None), so the web server, Celery workers and the test run
all share it; the next caller finds it running and reuses it.
"""

import os
from pathlib import Path

DATABASE_NAME = "retail"


def embedded_database_settings(data_dir: Path) -> dict:
    """Start (or reuse) the embedded server and return a Django DATABASES entry for it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("XDG_RUNTIME_DIR"):  # pgserver keeps its inter-process lock there
        runtime_dir = data_dir.parent / f"{data_dir.name}-run"
        runtime_dir.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime_dir)
    import pgserver

    server = pgserver.get_server(data_dir, cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    info = server.get_postmaster_info()
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port or ""),
    }
