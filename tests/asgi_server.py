"""The product served by uvicorn (ASGI) in a thread, on the test database: for what a WSGI live server cannot
serve, such as server-sent event streams. Import the fixture into a test module to use it."""

import socket
import threading
import time

import pytest
import uvicorn
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import DEFAULT_DB_ALIAS, connections

from config.asgi import application


@pytest.fixture
def asgi_server(transactional_db):
    """The base URL of the running server. Its requests close their database connections when they end, so that
    none outlives the test."""
    database = connections.settings[DEFAULT_DB_ALIAS]
    conn_max_age, database["CONN_MAX_AGE"] = database["CONN_MAX_AGE"], 0
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(ASGIStaticFilesHandler(application), lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{listening.getsockname()[1]}"
    server.should_exit = True
    thread.join(10)
    database["CONN_MAX_AGE"] = conn_max_age
