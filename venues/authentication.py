from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from venues.api_keys import ApiKeyError, api_key_resolve
from venues.tenancy import scope_activate

KEYWORD = "Api-Key"


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <key>`: the key's tenant (and venue, if limited) becomes the request's scope."""

    def authenticate(self, request):
        scheme, _, presented = get_authorization_header(request).decode("latin-1").partition(" ")
        if scheme.lower() != KEYWORD.lower():
            return None
        try:
            api_key = api_key_resolve(presented.strip())
        except ApiKeyError as error:
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
            "description": "`Api-Key <prefix>.<secret>`, as shown once when the key was created.",
        }
