from django.core.exceptions import PermissionDenied

from core.selectors import SESSION_TENANT_KEY, memberships_of


def tenant_switch(request, tenant_id) -> None:
    """Make `tenant_id` the session's tenant; only a tenant the user is a member of."""
    membership = memberships_of(request.user).filter(tenant_id=tenant_id).first()
    if membership is None:
        raise PermissionDenied("You are not a member of that tenant.")
    request.session[SESSION_TENANT_KEY] = membership.tenant_id
