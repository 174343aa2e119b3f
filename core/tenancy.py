"""Fail-closed tenant scoping for every tenant-owned model.

Each tenant-owned model uses `TenantManager` as its default manager. Its querysets are filtered by the
*active scope*, a context variable set by the request middleware and the API-key authentication (from
the session or the key, never from the request body), by `tenant_scope(tenant)` in tasks and commands,
or widened on purpose by `all_tenants()` for the admin and for fan-out jobs.

A query with no active scope cannot run: it raises `TenantScopeError` instead of returning another
tenant's rows. Building one is allowed, so that class-level declarations such as
`queryset = Venue.objects.all()` import cleanly; they bind late: a queryset made outside any scope carries
`ActiveScopeCondition`, a filter that takes the scope active when its SQL is compiled, so the copy a request
makes (DRF and form fields call `.all()` on them per use) is filtered by that request's scope. The declaration
itself is never evaluated, so no tenant's rows are cached in an object every request shares.

Only public Django APIs are used (a manager's `get_queryset` and a query expression's `as_sql`), the pattern
of PostHog's team scoping, plus the evaluation-time binding above.
"""

from __future__ import annotations

import weakref
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.core.exceptions import FullResultSet
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
    """The active tenant scope (None outside any): what a reader of the rollups rebuilds pending hours for."""
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


class ActiveScopeCondition(models.Expression):
    """The tenant (and venue) filter of a queryset made outside any scope, filled in from the scope that is
    active when its SQL is compiled: with none, or for the declaration itself, the query raises."""

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.tenant = models.F("tenant_id")
        self.venue = models.F(model.venue_lookup) if model.venue_lookup else None
        self.declaration = None

    def get_source_expressions(self):
        return [self.tenant, self.venue]

    def set_source_expressions(self, exprs):
        self.tenant, self.venue = exprs

    def resolve_expression(self, query=None, *args, **kwargs):
        resolved = super().resolve_expression(query, *args, **kwargs)
        if resolved.declaration is None:  # the query the manager made: its copies run, never it
            resolved.declaration = weakref.ref(query)
        return resolved

    def as_sql(self, compiler, connection):
        scope = _current.get()
        if scope is None or not scope.active:
            raise TenantScopeError(
                f"{self.model.__name__} was queried outside a tenant scope; use tenant_scope() or all_tenants()"
            )
        if self.declaration is not None and self.declaration() is compiler.query:
            raise TenantScopeError(
                f"a {self.model.__name__} queryset made outside any scope was evaluated itself; "
                "evaluate a copy (.all()) so that no scope's rows are cached in it"
            )
        if scope.all_tenants:
            raise FullResultSet  # no condition: every row
        sql, params = compiler.compile(self.tenant)
        conditions, params = [f"{sql} = %s"], [*params, scope.tenant_id]
        if scope.venue_id is not None and self.venue is not None:
            sql, venue_params = compiler.compile(self.venue)
            conditions.append(f"{sql} = %s")
            params += [*venue_params, scope.venue_id]
        return "(" + " AND ".join(conditions) + ")", params


class TenantManager(models.Manager):
    """Filters by the active scope when the queryset is made, or, made with none, when it is evaluated."""

    def get_queryset(self):
        queryset = super().get_queryset()
        scope = _current.get()
        if scope is None or not scope.active:
            return queryset.filter(ActiveScopeCondition(self.model))
        if scope.all_tenants:
            return queryset
        return queryset.filter(**_scope_filter(self.model, scope))


class TenantOwned(models.Model):
    """Base of every tenant-owned model: carries its tenant and is queried through `TenantManager`."""

    tenant = models.ForeignKey("core.Tenant", on_delete=models.CASCADE, related_name="+")

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
