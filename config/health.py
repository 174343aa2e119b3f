"""Liveness and readiness, for docker-compose healthchecks and load balancers.

`/healthz` answers while the web process runs and touches nothing else. `/readyz` checks what the product needs
to work: the database, Redis (the Celery broker and the live events), a Celery worker answering a ping, and beat,
seen through the heartbeat task it schedules every minute (config/schedules.py), which a worker records in Redis.
"""

from datetime import datetime

import redis
from celery import shared_task
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

HEARTBEAT_KEY = "health:beat-heartbeat"


def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2)


@shared_task
def heartbeat() -> str:
    """Sent by beat every minute; the worker that runs it records the time (so a fresh one means both run)."""
    now = timezone.now().isoformat()
    _redis().set(HEARTBEAT_KEY, now)
    return now


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def _redis_ping() -> dict:
    _redis().ping()
    return {"ok": True}


def _worker() -> dict:
    from config.celery import app

    replies = app.control.inspect(timeout=settings.HEALTH_WORKER_PING_TIMEOUT).ping() or {}
    if not replies:
        return {"ok": False, "detail": "No Celery worker answered a ping: start `celery -A config worker`."}
    return {"ok": True, "workers": sorted(replies)}


def _beat() -> dict:
    raw = _redis().get(HEARTBEAT_KEY)
    if raw is None:
        return {"ok": False, "detail": "No heartbeat recorded yet: start `celery -A config beat` (and a worker)."}
    age = (timezone.now() - datetime.fromisoformat(raw.decode())).total_seconds()
    if age > settings.HEALTH_BEAT_MAX_AGE_SECONDS:
        return {"ok": False, "last_heartbeat": raw.decode(), "age_seconds": round(age),
                "detail": f"The last heartbeat is {round(age)} s old: is celery beat running?"}  # fmt: skip
    return {"ok": True, "last_heartbeat": raw.decode(), "age_seconds": round(age)}


CHECKS = {"database": _database, "redis": _redis_ping, "worker": _worker, "beat": _beat}


def readiness() -> dict:
    """Each check's answer; one that raises is not ok, with the error."""
    checks = {}
    for name, check in CHECKS.items():
        try:
            checks[name] = check()
        except Exception as error:  # any failure of a dependency means not ready, said in the answer
            checks[name] = {"ok": False, "detail": f"{type(error).__name__}: {error}"}
    return {"ready": all(check["ok"] for check in checks.values()), "checks": checks}


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"alive": True})


@never_cache
@require_GET
def readyz(request):
    answer = readiness()
    return JsonResponse(answer, status=200 if answer["ready"] else 503)
