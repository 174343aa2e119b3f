"""API keys: `<prefix>.<secret>`, shown once; only the prefix and a SHA-256 of the whole key are stored.

The secret is 32 random characters (about 190 bits), so a fast hash is enough (as in
djangorestframework-api-key's `plain_sha256`) and keeps authentication cheap on the ingest path.
"""

import hashlib
import re
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, get_random_string

from core.models import ApiKey
from core.tenancy import all_tenants

PREFIX_LENGTH = 8
SECRET_LENGTH = 32
KEY_PATTERN = re.compile(rf"^([A-Za-z0-9]{{{PREFIX_LENGTH}}})\.([A-Za-z0-9]{{{SECRET_LENGTH}}})$")


class ApiKeyError(Exception):
    """Why a presented key is refused; the message is shown to the caller."""


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_issue(api_key: ApiKey) -> str:
    """Give a new, unsaved key its secret and save it; return the plain key, which is never stored."""
    api_key.prefix = get_random_string(PREFIX_LENGTH)
    key = f"{api_key.prefix}.{get_random_string(SECRET_LENGTH)}"
    api_key.hashed_key = _hash(key)
    api_key.clean()
    api_key.save()
    return key


def api_key_create(*, tenant, name, scope, venue=None, expires_at=None, created_by=None) -> tuple[ApiKey, str]:
    """Create a key of `scope` (an ApiKey.Scope, chosen by every caller) and return it with its plain text, which
    cannot be shown again."""
    api_key = ApiKey(tenant=tenant, venue=venue, name=name, scope=scope, expires_at=expires_at, created_by=created_by)
    return api_key, api_key_issue(api_key)


def api_key_revoke(api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_resolve(presented: str) -> ApiKey:
    """The active key for a presented plain-text key, or ApiKeyError saying why it is refused."""
    match = KEY_PATTERN.match(presented)
    if not match:
        raise ApiKeyError(
            f"Malformed API key: expected 'Api-Key <prefix>.<secret>' with an {PREFIX_LENGTH}-character prefix "
            f"and a {SECRET_LENGTH}-character secret."
        )
    with all_tenants():  # the key is what tells us the tenant
        api_key = ApiKey.objects.select_related("tenant", "venue").filter(prefix=match.group(1)).first()
        if api_key is None or not constant_time_compare(_hash(presented), api_key.hashed_key):
            raise ApiKeyError("Unknown API key.")
        now = timezone.now()
        if api_key.revoked_at is not None:
            raise ApiKeyError(f"API key revoked at {api_key.revoked_at:%Y-%m-%d %H:%M} UTC.")
        if api_key.expires_at is not None and api_key.expires_at <= now:
            raise ApiKeyError(f"API key expired at {api_key.expires_at:%Y-%m-%d %H:%M} UTC.")
        resolution = timedelta(seconds=settings.API_KEY_LAST_USED_RESOLUTION_SECONDS)
        if api_key.last_used_at is None or now - api_key.last_used_at >= resolution:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now
    return api_key
