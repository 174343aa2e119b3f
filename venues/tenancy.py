"""Fail-closed tenant scoping for every tenant-owned model.

Each tenant-owned model uses `TenantManager` as its default manager. Its querysets are filtered by the
*active scope*, a context variable set by the request middleware and the API-key authentication (from
the session or the key, never from the request body), by `tenant_scope(tenant)` in tasks and commands,
or widened on purpose by `all_tenants()` for the admin and for fan-out jobs.

A queryset built with no active scope cannot be evaluated: it raises `TenantScopeError` instead of
returning another tenant's rows. Building one is allowed, so that class-level declarations such as
`queryset = Venue.objects.all()` import cleanly; they bind late: a copy made inside a scope (DRF calls
`.all()` on them per request) is filtered by that scope.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import models


class TenantScopeError(RuntimeError):
    """A tenant-owned model was queried, or written, outside its tenant's scope."""


@dataclass
class Scope:
    tenant_id: int | None = None
    venue_id: int | None = None  # set for venue-limited API keys
    all_tenants: bool = False

    @property
    def active(self) -> bool:
        return self.all_tenants or self.tenant_id is not None


_current: ContextVar[Scope | None] = ContextVar("tenant_scope", default=None)


def current_scope() -> Scope | None:
    return _current.get()


@contextmanager
def _scoped(scope: Scope):
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def tenant_scope(tenant, venue=None):
    """Scope queries to one tenant (and optionally one of its venues)."""
    return _scoped(Scope(tenant_id=tenant.pk, venue_id=venue.pk if venue else None))


def all_tenants():
    """Widen the scope to every tenant: support staff in the admin and scheduled fan-out only."""
    return _scoped(Scope(all_tenants=True))


def request_scope():
    """An empty scope for one request; authentication fills it in once it knows the caller."""
    return _scoped(Scope())


def scope_activate(*, tenant_id: int | None = None, venue_id: int | None = None, all_tenants: bool = False):
    """Fill in the current request's scope once the caller is known (session, API key or admin)."""
    scope = _current.get()
    if scope is None:
        raise TenantScopeError("no request scope to activate; is TenantMiddleware installed?")
    scope.tenant_id, scope.venue_id, scope.all_tenants = tenant_id, venue_id, all_tenants


def _scope_filter(model, scope: Scope) -> dict:
    lookups = {"tenant_id": scope.tenant_id}
    if scope.venue_id is not None and model.venue_lookup:
        lookups[model.venue_lookup] = scope.venue_id
    return lookups


class TenantQuerySet(models.QuerySet):
    _unscoped_model: str | None = None  # set while no scope has been applied

    def _clone(self):
        clone = super()._clone()
        if self._unscoped_model:
            scope = _current.get()
            if scope is None or not scope.active:
                clone._unscoped_model = self._unscoped_model
            elif not scope.all_tenants:
                clone.query.add_q(models.Q(**_scope_filter(self.model, scope)))
        return clone

    def _check_scope(self) -> None:
        if self._unscoped_model:
            raise TenantScopeError(
                f"{self._unscoped_model} was queried outside a tenant scope; use tenant_scope() or all_tenants()"
            )

    def _fetch_all(self):
        self._check_scope()
        super()._fetch_all()

    def iterator(self, *args, **kwargs):
        self._check_scope()
        return super().iterator(*args, **kwargs)

    def count(self):
        self._check_scope()
        return super().count()

    def exists(self):
        self._check_scope()
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._check_scope()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):
        self._check_scope()
        return super().update(**kwargs)

    def delete(self):
        self._check_scope()
        return super().delete()


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """Filters by the active scope when the queryset is created (see the module docstring)."""

    def get_queryset(self):
        queryset = super().get_queryset()
        scope = _current.get()
        if scope is None or not scope.active:
            queryset._unscoped_model = self.model.__name__
            return queryset
        if scope.all_tenants:
            return queryset
        return queryset.filter(**_scope_filter(self.model, scope))


class TenantOwned(models.Model):
    """Base of every tenant-owned model: carries its tenant and is queried through `TenantManager`."""

    tenant = models.ForeignKey("venues.Tenant", on_delete=models.CASCADE, related_name="+")

    # The field that ties a row to a venue, used to narrow venue-limited API keys; None: tenant-wide.
    venue_lookup: str | None = "venue_id"
    # A parent whose tenant this row inherits on save (a camera's venue), so the two cannot disagree.
    tenant_parent: str | None = None

    objects = TenantManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.tenant_parent:
            self.tenant_id = getattr(self, self.tenant_parent).tenant_id
        scope = _current.get()
        if scope is not None and not scope.all_tenants and scope.tenant_id not in (None, self.tenant_id):
            raise TenantScopeError(f"cannot write a {type(self).__name__} of another tenant")
        super().save(*args, **kwargs)
