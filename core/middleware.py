from core.selectors import session_membership
from core.tenancy import request_scope, scope_activate


class TenantMiddleware:
    """Opens a tenant scope for each request, filled from the session's membership.

    API-key authentication (DRF) replaces it with the key's tenant; admin views widen it to every
    tenant for staff. The scope spans the whole response, template rendering included.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_scope():
            request.tenant = request.membership = None
            if request.user.is_authenticated:
                membership = session_membership(request)
                if membership is not None:
                    request.tenant, request.membership = membership.tenant, membership
                    scope_activate(tenant_id=membership.tenant_id)
            return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        is_admin_view = hasattr(view_func, "admin_site") or hasattr(view_func, "model_admin")
        if is_admin_view and request.user.is_active and request.user.is_staff:
            scope_activate(all_tenants=True)
