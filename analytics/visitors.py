"""Returning visitors: new and returning people, visit frequency, loyalty tiers and one visitor's history.

Read from the `VisitorHour` rollup (a row per recognised visitor and local hour), so a person is counted once
however many cameras saw them and however long the range. A visit without a recognised face counts as one
visitor of its own. Staff are left out everywhere.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from analytics.faces import faces_missing
from analytics.periods import Period
from core.validators import LOYALTY_TIERS
from ingest.models import Visit, ZoneEvent
from ingest.rollups import pending_hours_refresh_in_scope
from reid.models import UncertainMatch

FREQUENCY_BUCKETS = ((1, "1"), (2, "2"), (3, "3"), (4, "4-5"), (6, "6-9"), (10, "10+"))  # visit days per visitor

_PEOPLE_HOURS = """
    SELECT visitor_id, visits, hour_start, (hour_start AT TIME ZONE %(tz)s)::date AS day FROM ingest_visitorhour
    WHERE tenant_id = %(tenant)s AND venue_id = %(venue)s AND hour_start >= %(since)s AND hour_start < %(end)s
"""
_PEOPLE = "count(DISTINCT visitor_id) + coalesce(sum(visits) FILTER (WHERE visitor_id IS NULL), 0)"
# per time bucket: visits, distinct people, and the recognised ones split by the day of their first visit here
_NEW_AND_RETURNING = f"""
WITH hours AS ({_PEOPLE_HOURS}),
firsts AS (
    SELECT visitor_id, (min(hour_start) AT TIME ZONE %(tz)s)::date AS first_day FROM ingest_visitorhour
    WHERE tenant_id = %(tenant)s AND venue_id = %(venue)s
        AND visitor_id IN (SELECT visitor_id FROM hours WHERE visitor_id IS NOT NULL) GROUP BY 1
)
SELECT {{bucket}} AS bucket, coalesce(sum(visits), 0), {_PEOPLE},
    count(DISTINCT visitor_id), count(DISTINCT visitor_id) FILTER (WHERE first_day >= {{bucket}}),
    count(DISTINCT visitor_id) FILTER (WHERE first_day < {{bucket}})
FROM hours LEFT JOIN firsts USING (visitor_id) WHERE hour_start >= %(start)s {{group}}
"""
_VISIT_DAYS = f"""
WITH hours AS ({_PEOPLE_HOURS})
SELECT visitor_id, count(DISTINCT day) FILTER (WHERE hour_start >= %(start)s), count(DISTINCT day)
FROM hours WHERE visitor_id IS NOT NULL
GROUP BY visitor_id HAVING count(*) FILTER (WHERE hour_start >= %(start)s) > 0
"""


def unique_visitors(venue, period: Period) -> int:
    """People in the period: each recognised visitor once, each visit without a recognised face once."""
    pending_hours_refresh_in_scope()  # read in SQL, not through the model's RollupManager
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_PEOPLE} FROM ({_PEOPLE_HOURS}) hours",
            {"tz": venue.time_zone, "tenant": venue.tenant_id, "venue": venue.pk, "since": period.start,
             "end": period.end},
        )  # fmt: skip
        return cursor.fetchone()[0]


def _counts(row) -> dict:
    visits, people, recognised, new, returning = row
    return {
        "visits": visits, "visitors": people, "recognised": recognised, "new": new, "returning": returning,
        "unrecognised_visits": people - recognised,
    }  # fmt: skip


def returning_visitors(venue, period: Period) -> dict:
    """New and returning visitors per day and week (a visitor is new on the day of their first visit to the
    venue), visit frequency (visit days per recognised visitor in the period), and loyalty tiers (visit days
    within the tenant's loyalty window ending with the period); `return_rate` is the share of the period's
    recognised visitors seen on more than one day in that window. `visitors` counts each person once however
    many cameras saw them; visits without a recognised face count as one visitor each. `total.uncertain`: the
    period's visits whose face was about as near to two known visitors (`reid.models.UncertainMatch`), among
    the unrecognised ones: neither new nor returning."""
    tenant = venue.tenant
    since = period.end - timedelta(days=tenant.loyalty_window_days)
    params = {
        "tz": venue.time_zone, "tenant": venue.tenant_id, "venue": venue.pk, "start": period.start,
        "end": period.end, "since": min(since, period.start),
    }  # fmt: skip
    day, week = "day", "date_trunc('week', day)::date"
    pending_hours_refresh_in_scope()  # read in SQL, not through the model's RollupManager
    with connection.cursor() as cursor:
        cursor.execute(_NEW_AND_RETURNING.format(bucket="%(first)s::date", group=""), {**params, "first": period.first})
        total = _counts(cursor.fetchone()[1:])
        series = {}
        for name, bucket in (("days", day), ("weeks", week)):
            cursor.execute(_NEW_AND_RETURNING.format(bucket=bucket, group="GROUP BY 1 ORDER BY 1"), params)
            series[name] = [{"start": row[0].isoformat(), **_counts(row[1:])} for row in cursor.fetchall()]
        cursor.execute(_VISIT_DAYS, {**params, "start": period.start, "since": since})
        visit_days = cursor.fetchall()
    total["uncertain"] = UncertainMatch.objects.filter(
        venue=venue, seen_at__gte=period.start, seen_at__lt=period.end
    ).count()
    frequency = Counter()
    tiers = Counter()
    for _, days_in_period, days_in_window in visit_days:
        frequency[next(label for low, label in reversed(FREQUENCY_BUCKETS) if days_in_period >= low)] += 1
        tiers[tenant.loyalty_tier(days_in_window)] += 1
    recognised = len(visit_days)
    return {
        "total": total,
        "why_empty": faces_missing(venue, total["visits"], total["recognised"], embeddings=True),
        "return_rate": round(sum(row[2] > 1 for row in visit_days) / recognised, 4) if recognised else None,
        "days": series["days"],
        "weeks": series["weeks"],
        "frequency": [{"visit_days": label, "visitors": frequency[label]} for _, label in FREQUENCY_BUCKETS],
        "average_visit_days": round(sum(row[1] for row in visit_days) / recognised, 2) if recognised else None,
        "loyalty": {
            "window_days": tenant.loyalty_window_days,
            "thresholds": tenant.loyalty_tiers,
            "tiers": [{"tier": tier, "visitors": tiers[tier]} for tier in LOYALTY_TIERS],
        },
    }


def _visit_days_since(since) -> Subquery:
    days = (
        Visit.objects.filter(visitor=OuterRef("pk"), at__gte=since, ended_at__isnull=False)
        .values("visitor")
        .annotate(days=Count("at__date", distinct=True))
        .values("days")
    )
    return Coalesce(Subquery(days, output_field=IntegerField()), 0)


def visitors_listed(queryset, tenant):
    """Visitors with their visit count, samples held and visit days in the loyalty window (for the tier)."""
    visits = Visit.objects.filter(visitor=OuterRef("pk")).values("visitor").annotate(n=Count("pk")).values("n")
    since = timezone.now() - timedelta(days=tenant.loyalty_window_days)
    return queryset.annotate(
        visit_count=Coalesce(Subquery(visits, output_field=IntegerField()), 0),
        samples=Count("embeddings", distinct=True),
        window_visit_days=_visit_days_since(since),
    )


def visitor_visits(visitor):
    """A visitor's visits, latest first."""
    return Visit.objects.filter(visitor=visitor).select_related("venue", "camera").order_by("-at", "-pk")


def visits_described(visits) -> list[dict]:
    """Visits as a visitor's history: where, when, how long, and the zones they stayed in with dwell."""
    visits = list(visits)
    dwell = {}
    for row in (
        ZoneEvent.objects.filter(visit_key__in=[v.key for v in visits], kind=ZoneEvent.Kind.EXITED)
        .values("visit_key", "zone__name")
        .annotate(dwell=Sum("dwell_seconds"), stays=Count("pk"))
        .order_by("visit_key", "zone__name")
    ):
        dwell.setdefault(row["visit_key"], []).append(
            {"zone": row["zone__name"], "dwell_seconds": round(row["dwell"] or 0, 1), "stays": row["stays"]}
        )
    return [_visit_described(v, dwell.get(v.key, [])) for v in visits]


def _visit_described(visit, zones: list[dict]) -> dict:
    local = ZoneInfo(visit.venue.time_zone)
    return {
        "at": visit.at.astimezone(local).isoformat(),
        "ended_at": visit.ended_at.astimezone(local).isoformat() if visit.ended_at else None,
        "duration_seconds": visit.duration_seconds, "venue": visit.venue_id, "venue_name": visit.venue.name,
        "camera": visit.camera_id, "camera_name": visit.camera.name if visit.camera else None,
        "staff": visit.staff, "zones": zones,
    }  # fmt: skip
