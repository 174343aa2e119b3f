from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, Throttled

from core.api_keys import ApiKeyError, api_key_resolve
from core.tenancy import scope_activate
from core.throttling import FailedApiKeyThrottle

KEYWORD = "Api-Key"


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <key>`: the key's tenant (and venue, if limited) becomes the request's scope.

    A refused key is a 401 until its address has failed FailedApiKeyThrottle's rate, then a 429 with Retry-After.
    A valid key is never refused for others' failures: devices behind one address with a revoked key among them
    keep working.
    """

    def authenticate(self, request):
        scheme, _, presented = get_authorization_header(request).decode("latin-1").partition(" ")
        if scheme.lower() != KEYWORD.lower():
            return None
        try:
            api_key = api_key_resolve(presented.strip())
        except ApiKeyError as error:
            failures = FailedApiKeyThrottle()
            if not failures.allow_request(request, None):
                raise Throttled(failures.wait(), "Too many failed API-key attempts from this address.") from error
            raise AuthenticationFailed(str(error)) from error
        scope_activate(tenant_id=api_key.tenant_id, venue_id=api_key.venue_id)
        request._request.tenant = api_key.tenant
        request._request.membership = None
        return AnonymousUser(), api_key

    def authenticate_header(self, request):
        return KEYWORD


class ApiKeySchema(OpenApiAuthenticationExtension):
    """Publishes the Api-Key scheme in the OpenAPI document (and the Authorize button of /api/docs/)."""

    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Api-Key <prefix>.<secret>`, as shown once when the key was created. A key's scope, chosen when it "
                "is made, limits what it may do: `ingest` only sends events (`POST /api/v1/events`) and sales "
                "(`POST /api/v1/venues/{id}/sales/` and `.../sales/csv/`), `read` only reads (GET), `full` reads "
                "and writes everything but API keys; anything else is a 403 naming the scope. Requests are "
                "rate-limited per key, per signed-in user and per address for anonymous ones; failed key attempts "
                "per address, stricter. Over a limit: 429 with `Retry-After` (seconds)."
            ),
        }
