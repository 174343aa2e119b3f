from core.pages import member_writes
from core.selectors import memberships_of


def tenant(request):
    """The current tenant and the others the user can switch to, for the page header; whether the member may
    change things (the links to the forms)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": getattr(request, "membership", None),
        "memberships": memberships_of(user),
        "member_writes": member_writes(request),
    }
