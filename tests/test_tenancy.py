"""The scoping mechanism itself: queries outside a scope fail instead of leaking."""

import pytest
from django.db import transaction

from core.models import Tenant
from core.tenancy import TenantScopeError, all_tenants, tenant_scope
from venues.models import Camera, Venue, Zone

pytestmark = pytest.mark.django_db

DECLARED_AT_IMPORT = Venue.objects.all()


def test_queries_outside_a_scope_raise(world_a):
    for evaluate in (list, len, lambda qs: qs.count(), lambda qs: qs.exists(), lambda qs: qs.first(),
                     lambda qs: qs.update(name="x"), lambda qs: qs.delete(), lambda qs: list(qs.iterator()),
                     lambda qs: qs.aggregate(n=__import__("django.db.models", fromlist=["Count"]).Count("id"))):  # fmt: skip
        with pytest.raises(TenantScopeError):
            evaluate(Venue.objects.all())
    with pytest.raises(TenantScopeError):
        Camera.objects.get(pk=world_a.camera.pk)


def test_a_scope_sees_its_own_tenant_only(world_a, world_b):
    with tenant_scope(world_b.tenant):
        assert list(Venue.objects.all()) == [world_b.venue]
        assert list(world_b.venue.cameras.all()) == [world_b.camera]
        assert not Zone.objects.filter(pk=world_a.zone.pk).exists()
        assert Venue.objects.filter(pk=world_a.venue.pk).update(name="hacked") == 0
    with all_tenants():
        assert Venue.objects.count() == 2


def test_declarations_made_at_import_bind_to_the_scope_they_are_used_in(world_a, world_b):
    with tenant_scope(world_a.tenant):
        assert list(DECLARED_AT_IMPORT.all()) == [world_a.venue]
    with tenant_scope(world_b.tenant):
        assert list(DECLARED_AT_IMPORT.all()) == [world_b.venue]
    with pytest.raises(TenantScopeError):
        list(DECLARED_AT_IMPORT)


def test_a_scope_cannot_write_into_another_tenant(world_a, world_b):
    with tenant_scope(world_b.tenant), pytest.raises(TenantScopeError):
        Venue.objects.create(tenant=world_a.tenant, name="Planted")


def test_children_inherit_their_parents_tenant(world_a, world_b):
    camera = Camera(venue=world_a.venue, name="Mislabelled", tenant=world_b.tenant)
    camera.save()
    assert camera.tenant_id == world_a.tenant.pk


def test_a_venue_scope_narrows_to_one_venue(world_a):
    with tenant_scope(world_a.tenant):
        second = Venue.objects.create(tenant=world_a.tenant, name="Outlet")
        Camera.objects.create(venue=second, name="Door")
    with tenant_scope(world_a.tenant, venue=second):
        assert list(Venue.objects.all()) == [second]
        assert [c.name for c in Camera.objects.all()] == ["Door"]
        assert not Zone.objects.exists()


def test_no_way_of_evaluating_runs_outside_a_scope(world_a):
    """Every path to SQL is guarded, chained copies included: the old `_clone`/`_fetch_all` overrides' cases."""
    from django.db.models import Count

    made_outside = Venue.objects.filter(name__isnull=False).order_by("pk")
    evaluations = {
        "iteration": list,
        "truth": bool,
        "slice": lambda qs: qs[0],
        "get": lambda qs: qs.get(pk=world_a.venue.pk),
        "values": lambda qs: list(qs.values_list("pk", flat=True)),
        "iterator": lambda qs: list(qs.iterator()),
        "count": lambda qs: qs.count(),
        "exists": lambda qs: qs.exists(),
        "aggregate": lambda qs: qs.aggregate(n=Count("id")),
        "in_bulk": lambda qs: qs.in_bulk(),
        "update": lambda qs: qs.update(name="x"),
        "delete": lambda qs: qs.delete(),
        "union": lambda qs: list(qs.union(qs)),
        "subquery of a model without tenant": lambda qs: list(Tenant.objects.filter(pk__in=qs.values("tenant_id"))),
    }
    for name, evaluate in evaluations.items():
        with pytest.raises(TenantScopeError), transaction.atomic():  # a failed update marks its block for rollback
            evaluate(made_outside)
            pytest.fail(f"{name} ran outside a scope")
    with all_tenants():
        assert Venue.objects.get(pk=world_a.venue.pk).name == world_a.venue.name  # nothing was written


def test_a_queryset_made_outside_binds_as_a_subquery_of_a_scoped_one(world_a, world_b):
    venues_made_outside = Venue.objects.all()
    with tenant_scope(world_b.tenant):
        assert list(Camera.objects.filter(venue__in=venues_made_outside.values("pk"))) == [world_b.camera]
        with all_tenants():
            cameras = Camera.objects.filter(venue__in=venues_made_outside.values("pk"))
            assert set(cameras) == {world_a.camera, world_b.camera}


def test_a_declaration_is_never_evaluated_itself_so_no_scope_is_cached_in_it(world_a, world_b):
    with tenant_scope(world_a.tenant), pytest.raises(TenantScopeError):
        list(DECLARED_AT_IMPORT)
    with tenant_scope(world_a.tenant):
        assert DECLARED_AT_IMPORT.count() == 1  # nothing cached: counted in the scope, on a copy


def test_chained_declarations_bind_late_too(world_a, world_b):
    declared = Camera.objects.filter(name=world_a.camera.name).order_by("pk")
    for world in (world_a, world_b):
        with tenant_scope(world.tenant):
            assert [c.tenant_id for c in declared.all()] in ([], [world.tenant.pk])
            assert all(c.tenant_id == world.tenant.pk for c in declared.filter(pk__gt=0))
    with tenant_scope(world_a.tenant, venue=world_a.venue):
        assert list(declared.all()) == [world_a.camera]
