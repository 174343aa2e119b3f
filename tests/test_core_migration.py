"""Tenants, memberships and API keys moved from venues to core without copying a table: rows made before the move
are the same rows after it, and so are their content types (admin history, permissions)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.models import ApiKey, Membership, Tenant
from core.tenancy import tenant_scope

BEFORE_THE_MOVE = [
    ("venues", "0008_apikey_scope"),
    ("ingest", "0013_job_priority"),
    ("reid", "0002_uncertain_match"),
    ("alerts", "0002_digest_time_zone_of_the_venue"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_rows_made_before_the_move_are_the_same_rows_after_it():
    tenant_type = ContentType.objects.get_for_model(Tenant).pk
    executor = _migrate([*BEFORE_THE_MOVE, ("core", None)])
    try:
        old = executor.loader.project_state(BEFORE_THE_MOVE).apps
        assert ContentType.objects.get(pk=tenant_type).app_label == "venues"
        tenant = old.get_model("venues", "Tenant").objects.create(name="Old Co", slug="old-co")
        user = old.get_model("auth", "User").objects.create(username="old-owner")
        old.get_model("venues", "Membership").objects.create(tenant=tenant, user=user, role="owner")
        old.get_model("venues", "ApiKey").objects.create(tenant=tenant, name="Door", prefix="OLDKEY01", hashed_key="x")
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    moved = Tenant.objects.get(slug="old-co")
    assert moved.pk == tenant.pk
    assert Membership.objects.get(tenant=moved).user.username == "old-owner"
    with tenant_scope(moved):
        assert ApiKey.objects.get().prefix == "OLDKEY01"
    ContentType.objects.clear_cache()
    assert ContentType.objects.get_for_model(Tenant).pk == tenant_type
    assert ContentType.objects.get(pk=tenant_type).app_label == "core"
