from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.utils.text import slugify
from rest_framework.test import APIClient

from ingest.models import VideoJob
from venues.api_keys import api_key_create
from venues.models import ApiKey, Camera, CountingLine, Membership, Tenant, Venue, Zone

PASSWORD = "a-long-test-password-9"


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

    def objects(self) -> dict:
        return {"venue": self.venue, "camera": self.camera, "zone": self.zone, "line": self.line,
                "api-key": self.api_key, "job": self.job}  # fmt: skip


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
    api_key, key = api_key_create(tenant=tenant, name=f"{name} edge")
    job = VideoJob.objects.create(camera=camera, source=VideoJob.Source.URL, source_url="https://example.com/a.mp4")
    return World(tenant, owner, venue, camera, zone, line, api_key, key, job)


@pytest.fixture
def world_a(db):
    return build_world("Alpha Stores")


@pytest.fixture
def world_b(db):
    return build_world("Beta Markets")


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client
