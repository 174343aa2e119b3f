"""An embedded PostgreSQL (with pgvector) for machines that have no DATABASE_URL.

PyPI's `pgserver` ships PostgreSQL 16 and pgvector. The server is started in a data folder of the
project and left running (cleanup_mode=None), so the web server, Celery workers and the test run
all share it; the next caller finds it running and reuses it. The first caller also sizes it (`SERVER_SETTINGS`):
PostgreSQL's defaults keep 128 MB of shared buffers, too little to keep the face-matching HNSW index in memory.
"""

import os
from pathlib import Path

DATABASE_NAME = "retail"
SERVER_SETTINGS = {"shared_buffers": "1GB", "max_connections": "200"}  # applied once, with one restart


def embedded_database_settings(data_dir: Path) -> dict:
    """Start (or reuse) the embedded server and return a Django DATABASES entry for it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("XDG_RUNTIME_DIR"):  # pgserver keeps its inter-process lock there
        runtime_dir = data_dir.parent / f"{data_dir.name}-run"
        runtime_dir.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime_dir)
    import pgserver

    server = pgserver.get_server(data_dir, cleanup_mode=None)
    _settings_apply(server, data_dir)
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


def _setting(server, name: str) -> str:
    return server.psql(f"SHOW {name};").splitlines()[2].strip()


def _settings_apply(server, data_dir: Path) -> None:
    """Set SERVER_SETTINGS where the server differs, and restart it so that they take effect."""
    changed = {name: value for name, value in SERVER_SETTINGS.items() if _setting(server, name) != value}
    if changed:
        from pgserver._commands import pg_ctl

        for name, value in changed.items():
            server.psql(f"ALTER SYSTEM SET {name} = '{value}';")
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=server.system_user)
        server.ensure_postgres_running()
