"""Hourly rollups, recomputed from the events for exactly the hours that a write touched.

Recomputing an hour from its rows (rather than adding to counters) keeps the rollups right whatever the
write did: new rows, duplicates ignored, a visit completed, a job's events replaced. An hour is a clock hour
in the venue's time zone; `hour_start` is its start as an instant.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import connection, transaction

from ingest.models import DemographicHour, VenueHour, ZoneHour

_LOCAL_HOUR = "date_trunc('hour', {column} AT TIME ZONE %(tz)s) AT TIME ZONE %(tz)s"

_VENUE_HOURS = f"""
WITH hours AS (SELECT unnest(%(hours)s::timestamptz[]) AS hour_start),
visits AS (
    SELECT {_LOCAL_HOUR.format(column="at")} AS hour_start, count(*) AS visits,
           coalesce(sum(duration_seconds), 0) AS visit_seconds,
           count(*) FILTER (WHERE age_bracket <> '') AS with_demographics,
           coalesce(sum(engagement_score), 0) AS engagement_score_sum,
           count(engagement_score) AS engagement_scored,
           count(*) FILTER (WHERE behaviour = 'engaged') AS engaged,
           count(*) FILTER (WHERE behaviour = 'browsing') AS browsing,
           count(*) FILTER (WHERE behaviour = 'waiting') AS waiting,
           count(*) FILTER (WHERE behaviour = 'passing') AS passing
    FROM ingest_visit WHERE venue_id = %(venue)s AND at >= %(low)s AND at < %(high)s AND ended_at IS NOT NULL
    GROUP BY 1
),
crossings AS (
    SELECT {_LOCAL_HOUR.format(column="at")} AS hour_start,
           count(*) FILTER (WHERE direction = 'in') AS entries, count(*) FILTER (WHERE direction = 'out') AS exits
    FROM ingest_linecrossing WHERE venue_id = %(venue)s AND at >= %(low)s AND at < %(high)s GROUP BY 1
),
sales AS (
    SELECT {_LOCAL_HOUR.format(column="at")} AS hour_start, count(*) AS transactions,
           sum(amount) AS revenue, sum(items) AS items
    FROM ingest_sale WHERE venue_id = %(venue)s AND at >= %(low)s AND at < %(high)s GROUP BY 1
)
INSERT INTO ingest_venuehour (tenant_id, venue_id, hour_start, visits, visit_seconds, with_demographics,
    engagement_score_sum, engagement_scored, engaged, browsing, waiting, passing, entries, exits,
    transactions, revenue, items)
SELECT %(tenant)s, %(venue)s, hours.hour_start, coalesce(v.visits, 0), coalesce(v.visit_seconds, 0),
    coalesce(v.with_demographics, 0), coalesce(v.engagement_score_sum, 0), coalesce(v.engagement_scored, 0),
    coalesce(v.engaged, 0), coalesce(v.browsing, 0), coalesce(v.waiting, 0), coalesce(v.passing, 0),
    coalesce(c.entries, 0), coalesce(c.exits, 0), coalesce(s.transactions, 0), coalesce(s.revenue, 0),
    coalesce(s.items, 0)
FROM hours LEFT JOIN visits v USING (hour_start) LEFT JOIN crossings c USING (hour_start)
    LEFT JOIN sales s USING (hour_start)
WHERE v.visits IS NOT NULL OR c.entries IS NOT NULL OR s.transactions IS NOT NULL
"""

_ZONE_HOURS = f"""
WITH stays AS (
    SELECT zone_id, {_LOCAL_HOUR.format(column="at")} AS hour_start, count(*) AS visits,
           array_agg(dwell_seconds ORDER BY dwell_seconds) AS dwell_seconds
    FROM ingest_zoneevent
    WHERE venue_id = %(venue)s AND at >= %(low)s AND at < %(high)s AND kind = 'exited'
    GROUP BY 1, 2
),
queues AS (
    SELECT zone_id, {_LOCAL_HOUR.format(column="at")} AS hour_start,
           count(*) FILTER (WHERE kind = 'joined') AS joined, count(*) FILTER (WHERE kind = 'served') AS served,
           count(*) FILTER (WHERE kind = 'abandoned') AS abandoned,
           coalesce(array_agg(wait_seconds ORDER BY wait_seconds) FILTER (WHERE wait_seconds IS NOT NULL),
                    '{{}}') AS wait_seconds
    FROM ingest_queueevent WHERE venue_id = %(venue)s AND at >= %(low)s AND at < %(high)s GROUP BY 1, 2
)
INSERT INTO ingest_zonehour (tenant_id, venue_id, zone_id, hour_start, visits, dwell_seconds, queue_joined,
    queue_served, queue_abandoned, wait_seconds)
SELECT %(tenant)s, %(venue)s, zone_id, hour_start, coalesce(s.visits, 0), coalesce(s.dwell_seconds, '{{}}'),
    coalesce(q.joined, 0), coalesce(q.served, 0), coalesce(q.abandoned, 0), coalesce(q.wait_seconds, '{{}}')
FROM stays s FULL JOIN queues q USING (zone_id, hour_start)
WHERE hour_start = ANY(%(hours)s::timestamptz[])
"""

_DEMOGRAPHIC_HOURS = f"""
INSERT INTO ingest_demographichour (tenant_id, venue_id, hour_start, age_bracket, gender, visits)
SELECT %(tenant)s, %(venue)s, {_LOCAL_HOUR.format(column="at")}, age_bracket, gender, count(*)
FROM ingest_visit
WHERE venue_id = %(venue)s AND at >= %(low)s AND at < %(high)s AND age_bracket <> '' AND ended_at IS NOT NULL
    AND {_LOCAL_HOUR.format(column="at")} = ANY(%(hours)s::timestamptz[])
GROUP BY 3, 4, 5
"""


def local_hour_starts(moments: Iterable[datetime], time_zone: str) -> list[datetime]:
    """The starts of the venue-local clock hours that contain these moments."""
    moments = list(moments)
    if not moments:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT {_LOCAL_HOUR.format(column='m')} FROM unnest(%(moments)s::timestamptz[]) AS m",
            {"moments": moments, "tz": time_zone},
        )
        return [row[0] for row in cursor.fetchall()]


def hours_refresh(venue, moments: Iterable[datetime]) -> None:
    """Recompute the rollups of the venue's local hours that contain `moments` (the times just written)."""
    hours = local_hour_starts(moments, venue.time_zone)
    if not hours:
        return
    params = {
        "venue": venue.pk, "tenant": venue.tenant_id, "tz": venue.time_zone, "hours": hours,
        "low": min(hours), "high": max(hours) + timedelta(hours=1),
    }  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (VenueHour, ZoneHour, DemographicHour):
            model.objects.filter(venue_id=venue.pk, hour_start__in=hours).delete()
        cursor.execute(_VENUE_HOURS, params)
        cursor.execute(_ZONE_HOURS, params)
        cursor.execute(_DEMOGRAPHIC_HOURS, params)
