"""Walks every URL route as tenant B against tenant A's objects and lists what leaks.

Every route must be classified in `ROUTES`: a route that is not (a new one) is reported, so adding a
route without deciding how the walk covers it fails the isolation test.
"""

from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from analytics.api import ANSWERS


@dataclass(frozen=True)
class Route:
    name: str
    params: tuple[str, ...]
    callback: object


@dataclass(frozen=True)
class Detail:
    """Addresses one object (`target`, a key of World.objects()): every method must be a 404."""

    target: str
    api: bool = True
    methods: tuple[str, ...] = ("get", "put", "patch", "delete")
    owner_only: bool = False  # API keys are refused (403) before any lookup
    more: tuple[tuple[str, str], ...] = ()  # the route's other URL parameters


@dataclass(frozen=True)
class Listing:
    """Lists the caller's objects: none of A's may appear; `?filter=<A's parent>` must be a 404;
    creating one under A's parent must be refused (400) and creating one without a parent lands in B."""

    target: str
    parent: str | None = None
    api: bool = True
    owner_only: bool = False
    read_only: bool = False  # nothing is created here: a POST must be 405


@dataclass(frozen=True)
class OwnTenant:
    """The caller's own tenant (its settings): B reads and changes B's, A's stays as it was."""


@dataclass(frozen=True)
class OwnAlertSettings:
    """The caller's alert settings: B reads and changes B's, A's stay as they were."""


@dataclass(frozen=True)
class OwnBenchmarkReferences:
    """The web form of a venue type's reference figures: B reads and changes B's, A's stay as they were."""


@dataclass(frozen=True)
class SignedLink:
    """Opened by a signed token (email unsubscribe): a forged token is a 404 and changes nothing."""


@dataclass(frozen=True)
class CreateUnder:
    """A POST-only route that creates objects under a parent: A's parent must be refused (400). A web route
    (`api=False`) gets a form with a valid video file, so that only the parent can be refused, and must name it."""

    parent: str
    api: bool = True


@dataclass(frozen=True)
class PostNamingVenue:
    """A POST whose body names a venue (edge events): A's venue must be a 404 and nothing stored."""


@dataclass(frozen=True)
class VenueScoped:
    """A route under one venue (`venues/<venue_id>/...`): with A's venue every method must be a 404, a POST
    even with a valid sale (as JSON, or as a CSV `file` when `upload`) that a leaky route would store. A web
    route (`api=False`) sends API keys to the login page."""

    methods: tuple[str, ...]
    upload: bool = False
    api: bool = True


@dataclass(frozen=True)
class WebCreate:
    """A web form that creates an object of the caller's tenant: a valid form naming tenant A creates it in B
    (a redirect), and A's objects stay as they were (the walk's snapshot)."""

    body: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class TenantWide:
    """Answers about all of the caller's tenant (venue comparison): 200, and nothing of A's in it."""

    api: bool = True


@dataclass(frozen=True)
class NoTenantData:
    """Touches no tenant-owned object (login pages, API docs)."""


@dataclass(frozen=True)
class HealthProbe:
    """/healthz, /readyz: no tenant data; 200, or 503 while not ready (no worker or beat during tests)."""


@dataclass(frozen=True)
class TenantSwitch:
    """Switching to a tenant one is not a member of must not work."""


ROUTES = {
    "venue-list": Listing("venue"),
    "venue-detail": Detail("venue"),
    "camera-list": Listing("camera", parent="venue"),
    "camera-detail": Detail("camera"),
    "camera-snapshot-image": Detail("camera", methods=("get",)),
    "zone-list": Listing("zone", parent="camera"),
    "zone-detail": Detail("zone"),
    "line-list": Listing("line", parent="camera"),
    "line-detail": Detail("line"),
    "camera-setup": Detail("camera", api=False, methods=("get",)),
    "camera-create": Detail("venue", api=False, methods=("get", "post")),
    "camera-edit": Detail("camera", api=False, methods=("get", "post")),
    "venue-create": WebCreate((("name", "Intruder Store"), ("venue_type", "retail"), ("time_zone", "UTC"))),
    "venue-edit": Detail("venue", api=False, methods=("get", "post")),
    "sales-upload-page": VenueScoped(methods=("get", "post"), upload=True, api=False),
    "camera-snapshot": Detail("camera", api=False, methods=("get",)),
    "api-key-list": Listing("api-key", owner_only=True),
    "api-key-detail": Detail("api-key", methods=("get", "put", "patch"), owner_only=True),
    "api-key-revoke": Detail("api-key", methods=("post",), owner_only=True),
    "job-list": Listing("job", parent="camera"),
    "job-detail": Detail("job", methods=("get",)),
    "job-cancel": Detail("job", methods=("post",)),
    "job-retry": Detail("job", methods=("post",)),
    "job-clip-request": Detail("job", methods=("get", "post")),
    "job-audits": Detail("job", methods=("get", "post")),
    "job-clip-form": Detail("job", api=False, methods=("post",)),
    "job-clip": Detail("job", api=False, methods=("get",)),
    "job-batch": CreateUnder("camera"),
    "jobs-page": Listing("job", api=False),
    "jobs-queue": Listing("job", api=False),
    "jobs-queue-stats": TenantWide(api=False),
    "job-queue-stats": TenantWide(),
    "jobs-create": CreateUnder("camera", api=False),
    "job-page": Detail("job", api=False, methods=("get",)),
    "job-cancel-form": Detail("job", api=False, methods=("post",)),
    "job-retry-form": Detail("job", api=False, methods=("post",)),
    "visitor-list": Listing("visitor", parent="venue", read_only=True),
    "visitor-detail": Detail("visitor", methods=("get", "delete")),
    "visitor-staff": Detail("visitor", methods=("post",)),
    "visitor-visits": Detail("visitor", methods=("get",)),
    "tenant-settings": OwnTenant(),
    "alert-list": Listing("alert", parent="venue", read_only=True),
    "alert-detail": Detail("alert", methods=("get",)),
    "alert-acknowledge": Detail("alert", methods=("post",)),
    "alert-resolve": Detail("alert", methods=("post",)),
    "alert-rule-list": Listing("alert-rule", parent="venue"),
    "alert-rule-detail": Detail("alert-rule"),
    "alert-recipient-list": Listing("alert-recipient"),
    "alert-recipient-detail": Detail("alert-recipient"),
    "benchmark-reference-list": Listing("benchmark-reference"),
    "benchmark-reference-detail": Detail("benchmark-reference"),
    "venue-benchmarks": TenantWide(api=False),
    "benchmark-references-form": OwnBenchmarkReferences(),
    "alert-settings": OwnAlertSettings(),
    "alerts-unsubscribe": SignedLink(),
    "alerts-page": Listing("alert", api=False),
    "alert-acknowledge-form": Detail("alert", api=False, methods=("post",)),
    "alert-resolve-form": Detail("alert", api=False, methods=("post",)),
    "alert-settings-page": TenantWide(api=False),
    "alert-rule-form": Detail("alert-rule", api=False, methods=("post",)),
    "alert-check-form": Detail("venue", api=False, methods=("post",)),
    "venue-alert-check": VenueScoped(methods=("post",)),
    "alert-recipient-remove-form": Detail("alert-recipient", api=False, methods=("post",)),
    "edge-events": PostNamingVenue(),
    "sales-list": VenueScoped(methods=("get", "post")),
    "sales-csv": VenueScoped(methods=("post",), upload=True),
    **{f"analytics-{name}": VenueScoped(methods=("get",)) for name in ANSWERS},
    "analytics-weekly": VenueScoped(methods=("get",)),
    "analytics-venues": TenantWide(),
    "venue-summary": VenueScoped(methods=("get",)),
    "venues-today": TenantWide(api=False),
    "api-keys-page": Listing("api-key", api=False),
    "api-key-revoke-form": Detail("api-key", api=False, methods=("post",)),
    "venue-events": VenueScoped(methods=("get",)),
    "venue-event-stream": VenueScoped(methods=("get",)),
    "venue-export-csv": VenueScoped(methods=("get",)),
    "venue-export-json": VenueScoped(methods=("get",)),
    "home": Listing("venue", api=False),
    "venue-page": Detail("venue", api=False, methods=("get",)),
    "venue-panel": Detail("venue", api=False, methods=("get",), more=(("name", "overview"),)),
    "venue-report": Detail("venue", api=False, methods=("get",)),
    "venue-map": TenantWide(api=False),
    "venue-map-geojson": TenantWide(api=False),
    "visitors-page": Listing("visitor", api=False),
    "visitor-staff-form": Detail("visitor", api=False, methods=("post",)),
    "visitor-erase-form": Detail("visitor", api=False, methods=("post",)),
    "visitor-page": Detail("visitor", api=False, methods=("get",)),
    "tenant-switch": TenantSwitch(),
    "healthz": HealthProbe(),
    "readyz": HealthProbe(),
    **{
        name: NoTenantData()
        for name in (
            "api-schema",
            "api-docs",
            "favicon",
            "glossary",
            "login",
            "logout",
            "password_change",
            "password_change_done",
            "password_reset",
            "password_reset_done",
            "password_reset_confirm",
            "password_reset_complete",
        )
    },
}


def iter_routes(patterns=None, namespace=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from iter_routes(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else f"{namespace}<unnamed {pattern.pattern}>"
            yield Route(name, tuple(pattern.pattern.regex.groupindex), pattern.callback)


@dataclass
class Walk:
    a: object  # World of the victim tenant
    clients: dict  # label -> (client, is_api_key)
    problems: list[str] = field(default_factory=list)

    def expect(self, label, what, response, allowed, field_error=None):
        if field_error and response.status_code == 400:
            is_json = response.get("Content-Type", "").startswith("application/json")
            errors = response.json() if is_json else response.content.decode()  # a web form's errors name the field
            if field_error not in errors:
                self.problems.append(f"{label}: {what} was refused, but not for its {field_error}: {errors}")
        if response.status_code not in allowed:
            self.problems.append(f"{label}: {what} gave {response.status_code}, expected {sorted(allowed)}")
        elif self.a.venue.name.encode() in response.content or self.a.tenant.name.encode() in response.content:
            self.problems.append(f"{label}: {what} shows tenant A's data")


def _admin_kwargs(route, a):
    from core.tenancy import all_tenants

    model_admin = getattr(route.callback, "model_admin", None)
    values = {"app_label": "venues", "content_type_id": "1", "url": "venues/venue/"}
    if model_admin is not None:
        with all_tenants():
            obj = model_admin.model.objects.order_by("pk").filter(**_victim_filter(model_admin.model, a)).first()
        values["object_id"] = str(obj.pk) if obj else "1"
    else:
        values["object_id"] = str(a.venue.pk)
    return {param: values.get(param, "1") for param in route.params}


def _victim_filter(model, a):
    from core.models import Tenant

    return {"pk": a.tenant.pk} if model is Tenant else ({"tenant": a.tenant} if hasattr(model, "tenant") else {})


def walk(a, clients: dict, routes=ROUTES) -> list[str]:
    """Run every route as each client of tenant B; return the problems found (empty: isolated)."""
    from core.tenancy import all_tenants

    def snapshot():
        with all_tenants():
            return {
                key: (model_to_dict(type(obj).objects.filter(pk=obj.pk).first() or obj) if obj else None,
                      type(obj).objects.filter(tenant=a.tenant).count())
                for key, obj in a.objects().items()
            }  # fmt: skip

    before = snapshot()
    run = Walk(a, clients)
    for route in iter_routes():
        if route.name.startswith("admin:"):
            for label, (client, _) in clients.items():
                unnamed = "<unnamed" in route.name
                url = "/admin/venues/nothing/" if unnamed else reverse(route.name, kwargs=_admin_kwargs(route, a))
                allowed = {200} if route.name == "admin:login" else {302, 405}
                run.expect(label, f"GET {url}", client.get(url), allowed)
            continue
        kind = routes.get(route.name)
        if kind is None:
            run.problems.append(f"route {route.name!r} is not covered by the tenant-isolation walk")
            continue
        for label, (client, is_key) in clients.items():
            _walk_route(run, route, kind, label, client, is_key)
    after = snapshot()
    for key in before:
        if before[key] != after[key]:
            run.problems.append(f"tenant A's {key}s changed: {before[key]} -> {after[key]}")
    return run.problems


def _walk_route(run, route, kind, label, client, is_key):
    a = run.a
    web_as_key = is_key and not getattr(kind, "api", True)
    if isinstance(kind, Detail):
        url = reverse(route.name, kwargs={route.params[0]: a.objects()[kind.target].pk, **dict(kind.more)})
        allowed = {302} if web_as_key else {403} if (is_key and kind.owner_only) else {404}
        for method in kind.methods:
            response = getattr(client, method)(url, {"name": "renamed"}, format="json")
            run.expect(label, f"{method.upper()} {url}", response, allowed)
    elif isinstance(kind, Listing):
        url = reverse(route.name)
        if web_as_key:
            run.expect(label, f"GET {url}", client.get(url), {302})
            return
        if is_key and kind.owner_only:
            run.expect(label, f"GET {url}", client.get(url), {403})
            run.expect(label, f"POST {url}", client.post(url, {"name": "x"}, format="json"), {403})
            return
        response = client.get(url)
        run.expect(label, f"GET {url}", response, {200})
        if kind.api:
            ids = {row["id"] for row in response.json()["results"]}
            if a.objects()[kind.target].pk in ids:
                run.problems.append(f"{label}: GET {url} lists tenant A's {kind.target}")
        if kind.parent:
            parent_id = a.objects()[kind.parent].pk
            run.expect(label, f"GET {url}?{kind.parent}=A", client.get(url, {kind.parent: parent_id}), {404})
            if kind.read_only:
                run.expect(label, f"POST {url}", client.post(url, {kind.parent: parent_id}, format="json"), {405})
                return
            body = {kind.parent: parent_id, "name": "intruder", "polygon": [[0, 0], [1, 0], [1, 1]],
                    "points": [[0, 0], [1, 1]]}  # fmt: skip
            response = client.post(url, body, format="json")
            run.expect(label, f"POST {url} under A's {kind.parent}", response, {400}, field_error=kind.parent)
        elif kind.api:
            body = {"name": f"made by {label}", "tenant": a.tenant.pk, "venue": a.venue.pk}
            response = client.post(url, body, format="json")
            # a venue (no parent) is created in the caller's own tenant; a key naming A's venue is refused
            run.expect(label, f"POST {url} naming tenant A", response, {201} if kind.target == "venue" else {400})
    elif isinstance(kind, CreateUnder):
        url = reverse(route.name)
        parent_id = a.objects()[kind.parent].pk
        if web_as_key:
            run.expect(label, f"POST {url}", client.post(url, {kind.parent: parent_id}), {302})
            return
        if kind.api:
            response = client.post(url, {kind.parent: parent_id, "urls": ["https://example.com/a.mp4"]}, format="json")
        else:
            video = SimpleUploadedFile("a.mp4", b"\0\0\0\x18ftypmp42" + bytes(1000))  # passes the file checks
            response = client.post(url, {kind.parent: parent_id, "files": [video]}, format="multipart")
        run.expect(label, f"POST {url} under A's {kind.parent}", response, {400}, field_error=kind.parent)
    elif isinstance(kind, PostNamingVenue):
        url = reverse(route.name)
        event = {"id": "e1", "type": "line_crossed", "visit": "v1", "at": "2026-11-20T10:00:00+00:00",
                 "line": a.line.pk, "direction": "in"}  # fmt: skip
        body = {"device": "intruder", "venue": a.venue.pk, "events": [event]}
        run.expect(label, f"POST {url} naming A's venue", client.post(url, body, format="json"), {404})
    elif isinstance(kind, WebCreate):
        url = reverse(route.name)
        body = {**dict(kind.body), "tenant": a.tenant.pk}
        run.expect(label, f"POST {url} naming tenant A", client.post(url, body, format="multipart"), {302})
    elif isinstance(kind, VenueScoped):
        url = reverse(route.name, kwargs={route.params[0]: a.venue.pk})
        for method in kind.methods:
            if method == "get":
                response = client.get(url)
            elif kind.upload:
                upload = SimpleUploadedFile("sales.csv", b"id,at,amount\nintruder-1,2025-01-15T10:00:00,1.00\n")
                response = client.post(url, {"file": upload}, format="multipart")
            else:
                sale = {"id": "intruder-1", "at": "2025-01-15T10:00:00", "amount": "1.00"}
                response = getattr(client, method)(url, {"sales": [sale]}, format="json")
            run.expect(label, f"{method.upper()} {url}", response, {302} if web_as_key else {404})
    elif isinstance(kind, OwnTenant):
        url = reverse(route.name)
        fields = ("reid_scope", "embedding_retention_days", "face_processing")
        before = [getattr(a.tenant, name) for name in fields]
        run.expect(label, f"GET {url}", client.get(url), {200})
        body = {"reid_scope": "tenant", "embedding_retention_days": 3, "face_processing": "off", "tenant": a.tenant.pk}
        run.expect(label, f"PATCH {url}", client.patch(url, body, format="json"), {403} if is_key else {200})
        a.tenant.refresh_from_db()
        if [getattr(a.tenant, name) for name in fields] != before:
            run.problems.append(f"{label}: PATCH {url} changed tenant A's settings")
    elif isinstance(kind, OwnAlertSettings):
        from alerts.services import alert_settings_of
        from core.tenancy import tenant_scope

        url = reverse(route.name)
        with tenant_scope(a.tenant):
            before = model_to_dict(alert_settings_of(a.tenant))
        run.expect(label, f"GET {url}", client.get(url), {200})
        body = {"digest": "off", "instant_severity": "info", "tenant": a.tenant.pk}
        run.expect(label, f"PATCH {url}", client.patch(url, body, format="json"), {200})
        with tenant_scope(a.tenant):
            if model_to_dict(alert_settings_of(a.tenant)) != before:
                run.problems.append(f"{label}: PATCH {url} changed tenant A's alert settings")
    elif isinstance(kind, OwnBenchmarkReferences):
        from core.tenancy import tenant_scope
        from venues.models import BenchmarkReference

        url = reverse(route.name, kwargs={"venue_type": a.reference.venue_type})
        with tenant_scope(a.tenant):
            before = list(BenchmarkReference.objects.values())
        run.expect(label, f"GET {url}", client.get(url), {302} if is_key else {200})
        body = {"conversion_percent": "55", "visitors_per_day": "", "source": "intruder", "tenant": a.tenant.pk}
        run.expect(label, f"POST {url}", client.post(url, body), {302})
        with tenant_scope(a.tenant):
            if list(BenchmarkReference.objects.values()) != before:
                run.problems.append(f"{label}: POST {url} changed tenant A's references")
    elif isinstance(kind, SignedLink):
        from django.core import signing

        forged = signing.dumps(a.recipient.pk, salt="another purpose")
        url = reverse(route.name, kwargs={route.params[0]: forged})
        run.expect(label, f"POST {url}", client.post(url), {404})
    elif isinstance(kind, TenantWide):
        url = reverse(route.name)
        run.expect(label, f"GET {url}", client.get(url), {302} if web_as_key else {200})
    elif isinstance(kind, TenantSwitch):
        url = reverse(route.name)
        client.post(url, {"tenant": a.tenant.pk})
        response = client.get(reverse("venues-today"))
        run.expect(label, f"POST {url} to A, then the venues", response, {302} if is_key else {200})
    elif isinstance(kind, HealthProbe):
        run.expect(label, f"GET {route.name}", client.get(reverse(route.name)), {200, 503})
    elif isinstance(kind, NoTenantData):
        kwargs = {p: "x" for p in route.params}
        response = client.get(reverse(route.name, kwargs=kwargs))
        run.expect(label, f"GET {route.name}", response, {200, 302, 405})
