import email
import html
import os
import secrets
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import Client
from django.utils.text import slugify
from rest_framework.test import APIClient

from alerts.models import Alert, AlertRecipient, AlertRule
from core.api_keys import api_key_create
from core.models import ApiKey, Membership, Tenant
from core.tenancy import tenant_scope
from ingest.models import VideoJob
from ingest.writer import Origin, events_write
from reid.models import Visitor
from tests.vision.footage import MODEL_DIR
from venues.models import BenchmarkReference, Camera, CountingLine, Venue, Zone
from vision.events import VisitEnded, ZoneEntered, ZoneExited, ZoneVisit

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a-long-test-password-9"
# with_visitor's visitor is first seen on a Monday four to five weeks ago (within retention and loyalty windows)
FIRST_VISIT = datetime.combine(date.today() - timedelta(days=28 + date.today().weekday()), time(10), UTC)


@dataclass
class World:
    """One tenant with one of everything, to check what another tenant can and cannot reach."""

    tenant: Tenant
    owner: object
    venue: Venue
    camera: Camera
    zone: Zone
    line: CountingLine
    api_key: ApiKey
    key: str
    job: VideoJob
    alert: Alert
    recipient: AlertRecipient
    reference: BenchmarkReference
    visitor: Visitor | None = None

    def objects(self) -> dict:
        return {"venue": self.venue, "camera": self.camera, "zone": self.zone, "line": self.line,
                "api-key": self.api_key, "job": self.job, "alert": self.alert, "alert-rule": self.alert.rule,
                "alert-recipient": self.recipient, "benchmark-reference": self.reference,
                "visitor": self.visitor}  # fmt: skip


def face_embedding(seed: int, *, near: np.ndarray | None = None, distance: float = 0.2) -> np.ndarray:
    """A random unit vector of dlib's size, or one exactly `distance` (L2) from `near`: another look of a face."""
    rng = np.random.default_rng(seed)
    if near is None:
        vector = rng.normal(size=128)
        return vector / np.linalg.norm(vector)
    step = rng.normal(size=128)
    step -= step.dot(near) * near
    angle = 2 * np.arcsin(distance / 2)  # the chord `distance` on the unit sphere
    return np.cos(angle) * near + np.sin(angle) * step / np.linalg.norm(step)


def face_visit(world, track_id: int, at: datetime, embedding, *, minutes: float = 5, model="dlib-resnet-128"):
    """A finished visit to `world`'s camera, staying in its zone, with a face (or none): through the product's
    writer."""
    origin = Origin(key=f"job:{world.job.pk}", tenant_id=world.tenant.pk, venue_id=world.venue.pk,
                    camera_id=world.camera.pk, job_id=world.job.pk)  # fmt: skip
    end = at + timedelta(minutes=minutes)
    events = [
        ZoneEntered(track_id, at, "Front"),
        ZoneExited(track_id, end, "Front", entered_at=at),
        VisitEnded(track_id, end, first_seen=at, zone_visits=(ZoneVisit("Front", at, end),),
                   trajectory=((0.0, 0.25, 0.5),), face_model=model,
                   face_embedding=None if embedding is None else tuple(map(float, embedding))),
    ]  # fmt: skip
    with tenant_scope(world.tenant):
        return events_write(origin, events, {"Front": world.zone.pk}, {"Door": world.line.pk})


def build_world(name: str, role=Membership.Role.OWNER) -> World:
    tenant = Tenant.objects.create(name=name, slug=slugify(name))
    owner = get_user_model().objects.create_user(
        username=f"{tenant.slug}-user", email=f"{tenant.slug}@example.com", password=PASSWORD
    )
    Membership.objects.create(user=owner, tenant=tenant, role=role)
    venue = Venue.objects.create(tenant=tenant, name=f"{name} Flagship", time_zone="Europe/Paris")
    camera = Camera.objects.create(venue=venue, name="Entrance", role=Camera.Role.ENTRANCE)
    zone = Zone.objects.create(camera=camera, name="Front", polygon=[[0, 0], [0.5, 0], [0.5, 1], [0, 1]])
    line = CountingLine.objects.create(camera=camera, name="Door", points=[[0.5, 0], [0.5, 1]])
    api_key, key = api_key_create(tenant=tenant, name=f"{name} edge", scope=ApiKey.Scope.FULL)
    job = VideoJob.objects.create(camera=camera, source=VideoJob.Source.URL, source_url="https://example.com/a.mp4")
    with tenant_scope(tenant):
        rule = AlertRule.objects.get(venue=venue, kind=AlertRule.Kind.CROWDING)  # a default rule of the venue
    hour = datetime(2026, 11, 2, 9, tzinfo=UTC)
    alert = Alert.objects.create(
        tenant=tenant, rule=rule, venue=venue, kind=rule.kind, severity=rule.severity, period_start=hour,
        period_end=hour + timedelta(hours=1), title=f"Crowding at {venue.name}", message="Crafted for a test.",
        link=f"/venues/{venue.pk}/",
    )  # fmt: skip
    recipient = AlertRecipient.objects.create(tenant=tenant, email=f"ops@{tenant.slug}.example.com")
    reference = BenchmarkReference.objects.create(  # its source names the tenant: a leak shows in the walk
        tenant=tenant, venue_type=venue.venue_type, figure="conversion", value=0.2, source=f"{name} 2025 target"
    )
    return World(tenant, owner, venue, camera, zone, line, api_key, key, job, alert, recipient, reference)


def with_visitor(world: World) -> World:
    """The world with one returning visitor: a visit on FIRST_VISIT with the face `face_embedding(tenant id)`."""
    face_visit(world, 1, FIRST_VISIT, face_embedding(world.tenant.pk))
    with tenant_scope(world.tenant):
        world.visitor = Visitor.objects.get()
    return world


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    """Each test counts its requests from zero: the rate-limit cache gets a key prefix of its own (Redis keeps the
    counts of other tests and runs, and every test client comes from 127.0.0.1)."""
    limits = {**settings.CACHES["limits"], "KEY_PREFIX": f"test-limits-{secrets.token_hex(4)}"}
    settings.CACHES = {**settings.CACHES, "limits": limits}


@pytest.fixture
def world_a(db):
    return build_world("Alpha Stores")


@pytest.fixture
def world_b(db):
    return build_world("Beta Markets")


@pytest.fixture
def visitors(world_a, world_b):
    """Both worlds with their returning visitor (see `with_visitor`)."""
    with_visitor(world_a)
    with_visitor(world_b)


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def web_client(user) -> Client:
    """A browser's requests (Django's client, not the API's) as `user`, logged in."""
    client = Client()
    client.force_login(user)
    return client


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@contextmanager
def celery_worker(tmp_path, arguments: list[str], **env):
    """A real worker process of the project on the test database and the tests' Redis database (`env` adds to its
    environment), logging to `process.log`; stopped at the end."""
    env = {**os.environ, "DATABASE_NAME": connection.settings_dict["NAME"], "REDIS_URL": settings.CELERY_BROKER_URL,
           **env}  # fmt: skip
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", *arguments, "--pool", "solo",
             "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "INFO"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        process.log = log
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a warm shutdown stuck behind a busy machine
                process.kill()
                process.wait()


@contextmanager
def celery_beat(folder: Path, **env):
    """A real worker of the default queue with Celery beat inside it, running every entry of config/schedules.py
    every 2 s (SCHEDULE_SECONDS), logging to `folder`; stopped at the end."""
    arguments = ["-B", "-Q", "default", "-n", f"beat-{secrets.token_hex(3)}@localhost", "-s",
                 str(folder / "beat-schedule")]  # fmt: skip
    with celery_worker(folder, arguments, SCHEDULE_SECONDS="2", **env) as process:
        yield process


def outbox_messages(outbox: Path) -> list:
    """The emails Django's file backend wrote to `outbox` (EMAIL_URL=filemail://...), oldest file first."""
    return [email.message_from_bytes(part.encode()) for f in sorted(outbox.glob("*.log"))
            for part in f.read_text().split("-" * 79) if part.strip()]  # fmt: skip


@pytest.fixture
def worker(transactional_db, tmp_path):
    """A real worker process serving both queues."""
    arguments = ["-Q", "default,vision", "-n", f"jobs-{secrets.token_hex(3)}@localhost"]
    with celery_worker(tmp_path, arguments, VISION_MODEL_DIR=str(MODEL_DIR)) as process:
        yield process


@pytest.fixture
def server_connections_closed():
    """Requests served by a test server thread close their database connections when they end: a connection kept
    for reuse would outlive its thread and keep the test database from being dropped."""
    database = connections.settings[DEFAULT_DB_ALIAS]
    conn_max_age, database["CONN_MAX_AGE"] = database["CONN_MAX_AGE"], 0
    yield
    database["CONN_MAX_AGE"] = conn_max_age
