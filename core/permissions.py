from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.models import ApiKey, Membership

WRITER_ROLES = {Membership.Role.OWNER, Membership.Role.ANALYST}
INGEST_ROUTES = frozenset({"edge-events", "sales-list", "sales-csv"})  # where an `ingest` key may POST


def _check_key_scope(scope: str, request):
    if scope == ApiKey.Scope.READ and request.method not in SAFE_METHODS:
        raise PermissionDenied("This API key's scope is 'read': it can read but not change anything.")
    if scope == ApiKey.Scope.INGEST and not (
        request.method == "POST" and getattr(request.resolver_match, "url_name", None) in INGEST_ROUTES
    ):
        raise PermissionDenied(
            "This API key's scope is 'ingest': it can only send events (POST /api/v1/events) and sales "
            "(POST /api/v1/venues/<id>/sales/ or .../sales/csv/)."
        )


class TenantRolePermission(BasePermission):
    """Who may do what within the request's tenant.

    - Session users act with their role: viewers read, analysts and owners also write, and views marked
      `owner_only` (API keys) are for owners alone.
    - API keys act within their tenant (a venue-limited key only its venue) as their scope says: `full` keys read
      and write, `read` keys only read, `ingest` keys only send events and sales; no key manages keys.
    """

    def has_permission(self, request, view):
        owner_only = getattr(view, "owner_only", False)
        if isinstance(request.auth, ApiKey):
            if owner_only:
                raise PermissionDenied("API keys cannot manage API keys: sign in as a tenant owner.")
            _check_key_scope(request.auth.scope, request)
            return True
        if not request.user.is_authenticated:
            return False
        membership = request.membership
        if membership is None:
            raise PermissionDenied("Your account is not a member of any tenant.")
        if owner_only:
            if membership.role != Membership.Role.OWNER:
                raise PermissionDenied("Only the tenant's owners can manage API keys.")
            return True
        if request.method not in SAFE_METHODS and membership.role not in WRITER_ROLES:
            raise PermissionDenied("Your role in this tenant is read-only (viewer).")
        return True
