"""Rate limits: DRF's throttles, counting in the `limits` cache (Redis, so every process counts together).

Every API request counts against its API key, its signed-in user, or (neither) its client address. Failed API-key
attempts and password-reset emails have their own, stricter limits, checked where they happen
(`ApiKeyAuthentication`, `core.account_views.PasswordResetView`). Rates: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].
"""

import hashlib
import logging

from django.core.cache import caches
from django.utils.connection import ConnectionProxy
from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.settings import api_settings

from core.models import ApiKey

logger = logging.getLogger(__name__)


class LimitsCache:
    """Counts in the shared `limits` cache, at the rate the settings give now (DRF's own reads them at import)."""

    cache = ConnectionProxy(caches, "limits")

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def allow_request(self, request, view):
        """A limit that cannot be counted (Redis is down) lets the request through: an outage of the counter must
        not turn every API answer into an error, nor lose the events a device is sending."""
        try:
            return super().allow_request(request, view)
        except RedisError:
            logger.warning("%s not counted: the limits cache is unreachable", type(self).__name__)
            return True


class ApiKeyRateThrottle(LimitsCache, throttling.SimpleRateThrottle):
    """Requests made with an API key, counted per key, however many devices or addresses share it."""

    scope = "api_key"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class UserRateThrottle(LimitsCache, throttling.UserRateThrottle):
    """Requests of a signed-in user (a session), counted per user."""

    def get_cache_key(self, request, view):
        return super().get_cache_key(request, view) if request.user.is_authenticated else None


class AnonRateThrottle(LimitsCache, throttling.AnonRateThrottle):
    """Requests with neither key nor session, counted per client address (an API key's user is anonymous too)."""

    def get_cache_key(self, request, view):
        return None if request.auth is not None else super().get_cache_key(request, view)


class AddressThrottle(LimitsCache, throttling.SimpleRateThrottle):
    """Counted per client address, whoever the request claims to be."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class FailedApiKeyThrottle(AddressThrottle):
    """Failed API-key attempts: over the rate, a guessing burst is answered 429 instead of 401."""

    scope = "api_key_failure"


class PasswordResetAddressThrottle(AddressThrottle):
    """Password-reset emails asked for from one address, whichever accounts they name."""

    scope = "password_reset_address"


class PasswordResetAccountThrottle(LimitsCache, throttling.SimpleRateThrottle):
    """Password-reset emails asked for one email address (account), from wherever."""

    scope = "password_reset_account"

    def get_cache_key(self, request, view):
        email = request.POST.get("email", "").strip().lower()
        return self.cache_format % {"scope": self.scope, "ident": hashlib.sha256(email.encode()).hexdigest()}


def client_address(request) -> str:
    """The address a request is counted under (django-axes' too): REMOTE_ADDR, or X-Forwarded-For's entry as far
    back as REST_FRAMEWORK["NUM_PROXIES"] trusted proxies."""
    return throttling.BaseThrottle().get_ident(request)
