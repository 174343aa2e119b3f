from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from venues.models import ApiKey, Membership

WRITER_ROLES = {Membership.Role.OWNER, Membership.Role.ANALYST}


class TenantRolePermission(BasePermission):
    """Who may do what within the request's tenant.

    - Session users act with their role: viewers read, analysts and owners also write, and views marked
      `owner_only` (API keys) are for owners alone.
    - API keys read and write their tenant's data (a venue-limited key only its venue) but never manage keys.
    """

    def has_permission(self, request, view):
        owner_only = getattr(view, "owner_only", False)
        if isinstance(request.auth, ApiKey):
            if owner_only:
                raise PermissionDenied("API keys cannot manage API keys: sign in as a tenant owner.")
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
