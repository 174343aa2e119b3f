from core.models import Membership

SESSION_TENANT_KEY = "tenant_id"


def memberships_of(user):
    return Membership.objects.filter(user=user).select_related("tenant").order_by("tenant__name")


def session_membership(request) -> Membership | None:
    """The membership the session works in: the tenant switched to, else the user's first tenant."""
    memberships = memberships_of(request.user)
    chosen = request.session.get(SESSION_TENANT_KEY)
    membership = memberships.filter(tenant_id=chosen).first() if chosen else None
    return membership or memberships.first()
