"""Schemathesis over the published OpenAPI schema, in process (WSGI), as a tenant with data.

Every operation gets valid and invalid requests (a bounded, derandomized number, so CI runs are stable and take a
few minutes); each answer must be no 5xx, a documented status code and content type, and conform to its schema.
Path ids are sometimes the tenant's own objects (so that the operations do their work, not only 404), and the run
must never show or change another tenant's data. Before it, the fixes it led to, each on its own.
"""

import re

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
from django.utils.crypto import get_random_string
from drf_spectacular.generators import SchemaGenerator
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from core.tenancy import tenant_scope
from tests.conftest import build_world, key_client, with_visitor

# The coverage phase's boundary cases are not bounded by max_examples (over 7,500 requests, 10 minutes here)
schema = schemathesis.openapi.from_dict(
    SchemaGenerator().get_schema(public=True),
    config=schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}}}),
)
schema.app = application

# Served by the ASGI server only (over WSGI its preflight answers 501 by design): tests/test_live_stream.py
schema = schema.exclude(path="/api/v1/venues/{venue_id}/events/stream")

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
OTHER_TENANT = ("Delta Markets", "delta-markets")


@pytest.mark.django_db
def test_the_schema_documents_the_error_answers(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    events = paths["/api/v1/events"]["post"]["responses"]
    assert {"200", "400", "401", "403", "404", "413", "415", "429"} == set(events)
    assert events["413"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorDetail")
    assert "Retry-After" in events["429"]["headers"]
    assert set(paths["/api/v1/tenant/"]["get"]["responses"]) == {"200", "401", "403", "429"}  # no input to refuse
    assert {"400", "404"} <= set(paths["/api/v1/jobs/{id}/retry/"]["post"]["responses"])  # a job still running


def test_an_api_address_no_route_matches_is_a_json_404(world_a):
    response = key_client(world_a.key).get("/api/v1/venues/1.5/")  # no route takes a dotted id
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert response.json() == {"detail": "Not found: no API operation has this address."}
    page = key_client(world_a.key).get("/no-such-page/")
    assert (page.status_code, page["Content-Type"]) == (404, "text/html; charset=utf-8")


def test_an_error_to_a_request_for_a_file_is_json_and_says_so(world_a):
    response = key_client(world_a.key).get(f"/api/v1/cameras/{world_a.camera.pk}/snapshot/", HTTP_ACCEPT="image/jpeg")
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert "no snapshot yet" in response.json()["detail"]


def test_the_digest_time_is_documented_as_the_local_time_it_is(world_a):
    answer = key_client(world_a.key).get("/api/v1/alert-settings/")
    assert answer.json()["digest_time"] == "07:00:00"  # no offset: OpenAPI's `time` format would want one
    schema = SchemaGenerator().get_schema(public=True)["components"]["schemas"]["AlertSettings"]
    assert "format" not in schema["properties"]["digest_time"]
    assert re.fullmatch(schema["properties"]["digest_time"]["pattern"], "07:00:00")


@pytest.fixture(scope="module")
def tenants(django_db_setup, django_db_blocker):
    """The tenant under test (one of everything, a returning visitor) and another one, built once for all the
    operations in a transaction rolled back at the end; each operation's test runs in a savepoint of it (`db`)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield with_visitor(build_world("Gamma Stores")), with_visitor(build_world(OTHER_TENANT[0]))
        transaction.set_rollback(True)


@pytest.fixture
def wsgi_requests_keep_the_connection():
    """As Django's test client does: a request's start and end must not close the test's database connection (its
    transaction holds the test's data)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def no_dns(settings):
    """Video and stream URLs are checked without resolving their hosts: the run must not depend on the network."""
    settings.VIDEO_URL_ALLOW_PRIVATE = True


@pytest.fixture
def other_tenant_untouched(tenants, db, wsgi_requests_keep_the_connection, no_dns):
    """The other tenant's objects are as they were after an operation's run."""
    other = tenants[1]
    before = _rows_of(other)
    yield
    assert _rows_of(other) == before


def _own_ids(world, case) -> dict:
    """The path's ids, an even one swapped for the tenant's own object (`/api/v1/cameras/{id}/`: its camera), so
    that about half the requests reach an object and do their work (a function of the case: replays are alike)."""
    ids = dict(case.path_parameters or {})
    resource = case.path.split("/")[3].removesuffix("s")
    for name, value in ids.items():
        if str(value).isdigit() and int(value) % 2 == 0:
            ids[name] = world.objects()["venue" if name == "venue_id" else resource].pk
    return ids


def _rows_of(world) -> dict:
    with tenant_scope(world.tenant):
        return {name: type(obj).objects.filter(pk=obj.pk).values().first() for name, obj in world.objects().items()}


def _credentials(case, world) -> dict:
    """The tenant's API key; the owner's session where keys are refused (managing keys, privacy settings)."""
    if case.path.startswith("/api/v1/api-keys/") or (case.method, case.path) == ("PATCH", "/api/v1/tenant/"):
        client = Client()
        client.force_login(world.owner)
        token = get_random_string(32)  # a CSRF secret, sent unmasked as cookie and header
        return {"cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": token},
                "headers": {"X-CSRFToken": token}}  # fmt: skip
    return {"headers": {"Authorization": f"Api-Key {world.key}"}}


@schema.parametrize()
@hypothesis.settings(max_examples=20, derandomize=True, deadline=None, database=None, print_blob=False,
                     suppress_health_check=list(hypothesis.HealthCheck))  # fmt: skip
def test_the_api_keeps_to_its_schema(case, tenants, other_tenant_untouched):
    world, _ = tenants
    case.path_parameters = _own_ids(world, case)
    response = case.call(**_credentials(case, world))
    case.validate_response(response, checks=CHECKS)
    assert not any(name.encode() in response.content for name in OTHER_TENANT), "another tenant's data in the answer"
