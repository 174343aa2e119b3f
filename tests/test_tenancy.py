"""The scoping mechanism itself: queries outside a scope fail instead of leaking."""

import pytest

from venues.models import Camera, Venue, Zone
from venues.tenancy import TenantScopeError, all_tenants, tenant_scope

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
