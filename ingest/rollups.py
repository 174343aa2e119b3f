"""Hourly rollups, recomputed from the events for exactly the hours that writes touched.

Recomputing an hour from its rows (rather than adding to counters) keeps the rollups right whatever the
write did: new rows, duplicates ignored, a visit completed, a job's events replaced. An hour is a clock hour
in the venue's time zone; `hour_start` is its start as an instant.

A write of events only marks its hours pending (`hours_pend`, in its transaction). Once an hour has been
pending `SETTLE_SECONDS`, the next write that finds no rebuild of the venue running rebuilds all the venue's
pending hours (`written_hours_refresh`): writes that come together are rebuilt together, an hour touched by
several of them once, and no write waits for another's rebuild. Whoever reads the rollups (through
`RollupManager`) first rebuilds what is still pending, so answers always count every stored event.

Durations (visits, dwell, queue waits) are kept as histograms `{bucket: count}` with geometric buckets
(`_BUCKET`, in SQL), so medians and 90th percentiles over any range come from summed histograms, accurate to
half a bucket (about 7 %), without reading the events.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.db import OperationalError, connection, transaction

from core.tenancy import current_scope
from ingest.models import CameraHour, DemographicHour, PendingHour, VenueHour, VisitorHour, ZoneHour
from venues.models import CountingLine, Venue

logger = logging.getLogger(__name__)

_ROLLUP_LOCK = 7301  # pg_advisory_xact_lock class: one rebuild per venue at a time
HOURS_PER_ROUND = 24  # pending hours a writer rebuilds in one transaction
SETTLE_SECONDS = 0.5  # a writer rebuilds pending hours once one has waited this long: writes meanwhile join in
WRITER_REFRESH_SECONDS = 2.0  # and stops starting rounds after this long
BUCKET_RATIO = 1.15  # bucket i holds durations in [1.15^i, 1.15^(i+1)) seconds; bucket 0 also holds 0-1 s


def histogram_percentile(histogram: dict, fraction: float) -> float | None:
    """The duration below which `fraction` of the counted durations lie (geometric middle of its bucket)."""
    counts = sorted((int(bucket), count) for bucket, count in histogram.items() if count)
    total = sum(count for _, count in counts)
    if not total:
        return None
    seen = 0
    for bucket, count in counts:
        seen += count
        if seen >= fraction * total:
            return BUCKET_RATIO ** (bucket + 0.5) if bucket else 1.0
    return BUCKET_RATIO ** (counts[-1][0] + 0.5)


_LOCAL_HOUR = "date_trunc('hour', {column} AT TIME ZONE %(tz)s) AT TIME ZONE %(tz)s"
_BUCKET = f"greatest(0, floor(ln(greatest({{column}}, 1.0)) / ln({BUCKET_RATIO})))::int"
_IN_RANGE = "venue_id = %(venue)s AND ({windows})"  # filled in by `_windows`
_CUSTOMERS_IN_RANGE = f"NOT staff AND {_IN_RANGE}"  # events: staff members' are no customer's


MAX_VISIT_HOURS = 12  # occupancy looks this far back for visits and stays still open in an hour
SALE_LINK_SECONDS = 120  # a sale links to a visit at the tills from its arrival there to this long after it left

# Occupancy of an hour from the `present` intervals (clipped to it), in one sweep over arrivals and departures (at
# the same instant a departure comes first, so one person leaving as another arrives is one person): the most present
# at once, their time summed, and the time anyone was present.
_OCCUPANCY = """
    SELECT {keys}, max(running) AS peak,
           sum(running * extract(epoch FROM next_moment - moment)) FILTER (WHERE running > 0) AS seconds,
           sum(extract(epoch FROM next_moment - moment)) FILTER (WHERE running > 0) AS busy_seconds
    FROM (
        SELECT {keys}, moment, sum(delta) OVER sweep AS running, lead(moment) OVER sweep AS next_moment
        FROM (SELECT {keys}, since AS moment, 1 AS delta FROM present
              UNION ALL SELECT {keys}, until, -1 FROM present) edges
        WINDOW sweep AS (PARTITION BY {keys} ORDER BY moment, delta ROWS UNBOUNDED PRECEDING)
    ) swept GROUP BY {keys}"""


def _histogram(value: str, where: str, source: str, keys: str) -> str:
    """SQL: per `keys` + hour, a JSON histogram of `value` over the rows of `source` matching `where`."""
    return f"""
    SELECT {keys}, hour_start, jsonb_object_agg(bucket, n) AS histogram FROM (
        SELECT {keys}, {_LOCAL_HOUR.format(column="at")} AS hour_start, {_BUCKET.format(column=value)} AS bucket,
               count(*) AS n
        FROM {source} WHERE {_CUSTOMERS_IN_RANGE} AND {where} GROUP BY 1, 2, 3
    ) counted GROUP BY {keys}, hour_start"""


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
           count(*) FILTER (WHERE behaviour = 'passing') AS passing,
           count(*) FILTER (WHERE posture = 'upright') AS upright,
           count(*) FILTER (WHERE posture = 'leaning') AS leaning,
           count(*) FILTER (WHERE posture = 'arms crossed') AS arms_crossed
    FROM ingest_visit WHERE {_CUSTOMERS_IN_RANGE} AND ended_at IS NOT NULL GROUP BY 1
),
durations AS ({_histogram("duration_seconds", "ended_at IS NOT NULL", "ingest_visit", "venue_id")}),
crossings AS (
    SELECT {_LOCAL_HOUR.format(column="at")} AS hour_start,
           count(*) FILTER (WHERE direction = 'in') AS entries, count(*) FILTER (WHERE direction = 'out') AS exits
    FROM ingest_linecrossing WHERE {_CUSTOMERS_IN_RANGE} GROUP BY 1
),
sales AS (
    SELECT {_LOCAL_HOUR.format(column="at")} AS hour_start, count(*) AS transactions,
           sum(amount) AS revenue, sum(items) AS items
    FROM ingest_sale WHERE {_IN_RANGE} GROUP BY 1
),
window_visits AS (
    SELECT tenant_id, key, at FROM ingest_visit WHERE {_CUSTOMERS_IN_RANGE} AND ended_at IS NOT NULL
),
exits AS (  -- the visits' zone stays, each visit's found by its index (OFFSET 0: never a scan of every stay)
    SELECT z.visit_key, z.at - make_interval(secs => z.dwell_seconds) AS since, z.at AS until,
           NOT z.staff AND k.kind IN ('checkout', 'queue') AS at_till  -- at a till: where a purchase is made
    FROM window_visits v CROSS JOIN LATERAL (
        SELECT * FROM ingest_zoneevent z WHERE z.tenant_id = v.tenant_id AND z.visit_key = v.key AND z.kind = 'exited'
        OFFSET 0
    ) z JOIN venues_zone k ON k.id = z.zone_id
),
till_stays AS (SELECT visit_key, since, until FROM exits WHERE at_till),
links AS (  -- each sale to the one visit at the tills then whose stay ended closest to it
    SELECT visit_key, count(*) AS sales FROM (
        SELECT DISTINCT ON (s.id) t.visit_key
        FROM till_stays t JOIN ingest_sale s ON s.venue_id = %(venue)s AND s.at >= t.since
            AND s.at <= t.until + interval '{SALE_LINK_SECONDS} seconds'
        ORDER BY s.id, abs(extract(epoch FROM s.at - t.until))
    ) picked GROUP BY visit_key
),
funnel AS (  -- stages nested by visit, in the hour the visit started
    SELECT {_LOCAL_HOUR.format(column="at")} AS hour_start,
           count(*) FILTER (WHERE entered) AS entered,
           count(*) FILTER (WHERE entered AND browsed) AS browsed,
           count(*) FILTER (WHERE entered AND browsed AND queued) AS queued,
           count(*) FILTER (WHERE entered AND browsed AND queued AND sales > 0) AS purchased,
           coalesce(sum(sales) FILTER (WHERE entered AND browsed AND queued), 0) AS sales_linked
    FROM (  -- each flag found once per visit by its index (LIMIT 1: never a scan of the whole table)
        SELECT v.at, l.sales, NOT %(has_lines)s OR c.visit_key IS NOT NULL AS entered,
            e.visit_key IS NOT NULL AS browsed, coalesce(e.at_till, false) OR q.visit_key IS NOT NULL AS queued
        FROM window_visits v LEFT JOIN links l ON l.visit_key = v.key
            LEFT JOIN (SELECT visit_key, bool_or(at_till) AS at_till FROM exits GROUP BY 1) e ON e.visit_key = v.key
            LEFT JOIN LATERAL (SELECT visit_key FROM ingest_linecrossing c WHERE c.tenant_id = v.tenant_id
                AND c.visit_key = v.key AND c.direction = 'in' LIMIT 1) c ON true
            LEFT JOIN LATERAL (SELECT visit_key FROM ingest_queueevent q WHERE q.tenant_id = v.tenant_id
                AND q.visit_key = v.key AND q.kind = 'joined' LIMIT 1) q ON true
    ) flags GROUP BY 1
),
present AS (
    SELECT hours.hour_start, greatest(v.at, hours.hour_start) AS since,
           least(v.ended_at, hours.hour_start + interval '1 hour') AS until
    FROM hours JOIN ingest_visit v ON v.venue_id = %(venue)s AND NOT v.staff AND v.ended_at IS NOT NULL
        AND v.at >= hours.hour_start - interval '{MAX_VISIT_HOURS} hours' AND v.at < hours.hour_start + interval '1 hour'
        AND v.ended_at > hours.hour_start
),
occupancy AS ({_OCCUPANCY.format(keys="hour_start")})
INSERT INTO ingest_venuehour (tenant_id, venue_id, hour_start, visits, visit_seconds, visit_histogram,
    with_demographics, engagement_score_sum, engagement_scored, engaged, browsing, waiting, passing, upright, leaning,
    arms_crossed, entries, exits,
    entered, browsed, queued, purchased, sales_linked, transactions, revenue, items, peak_occupancy, occupancy_seconds,
    occupied_seconds)
SELECT %(tenant)s, %(venue)s, hours.hour_start, coalesce(v.visits, 0), coalesce(v.visit_seconds, 0),
    coalesce(d.histogram, '{{}}'), coalesce(v.with_demographics, 0), coalesce(v.engagement_score_sum, 0),
    coalesce(v.engagement_scored, 0), coalesce(v.engaged, 0), coalesce(v.browsing, 0), coalesce(v.waiting, 0),
    coalesce(v.passing, 0), coalesce(v.upright, 0), coalesce(v.leaning, 0), coalesce(v.arms_crossed, 0),
    coalesce(c.entries, 0), coalesce(c.exits, 0), coalesce(f.entered, 0),
    coalesce(f.browsed, 0), coalesce(f.queued, 0), coalesce(f.purchased, 0), coalesce(f.sales_linked, 0),
    coalesce(s.transactions, 0), coalesce(s.revenue, 0), coalesce(s.items, 0),
    coalesce(o.peak, 0), coalesce(o.seconds, 0), coalesce(o.busy_seconds, 0)
FROM hours LEFT JOIN visits v USING (hour_start) LEFT JOIN durations d USING (hour_start)
    LEFT JOIN crossings c USING (hour_start) LEFT JOIN sales s USING (hour_start)
    LEFT JOIN funnel f USING (hour_start) LEFT JOIN occupancy o USING (hour_start)
WHERE v.visits IS NOT NULL OR c.entries IS NOT NULL OR s.transactions IS NOT NULL OR o.peak IS NOT NULL
"""

_ZONE_HOURS = f"""
WITH stays AS (
    SELECT zone_id, {_LOCAL_HOUR.format(column="at")} AS hour_start, count(*) AS visits,
           coalesce(sum(dwell_seconds), 0) AS dwell_seconds, coalesce(sum(score), 0) AS engagement_score_sum,
           count(score) AS engagement_scored
    FROM (
        SELECT z.*, (SELECT engagement_score FROM ingest_visit v WHERE v.tenant_id = %(tenant)s AND v.key = z.visit_key
                     AND v.visit_key = z.visit_key) AS score  -- (a visit's own key): whichever index, one lookup
        FROM ingest_zoneevent z WHERE {_CUSTOMERS_IN_RANGE} AND kind = 'exited'
        OFFSET 0  -- the score found once per stay, not once per aggregate that reads it
    ) exits GROUP BY 1, 2
),
dwell AS ({_histogram("dwell_seconds", "kind = 'exited'", "ingest_zoneevent", "zone_id")}),
queues AS (
    SELECT zone_id, {_LOCAL_HOUR.format(column="at")} AS hour_start,
           count(*) FILTER (WHERE kind = 'joined') AS joined, count(*) FILTER (WHERE kind = 'served') AS served,
           count(*) FILTER (WHERE kind = 'abandoned') AS abandoned, coalesce(sum(wait_seconds), 0) AS wait_seconds
    FROM ingest_queueevent WHERE {_CUSTOMERS_IN_RANGE} GROUP BY 1, 2
),
waits AS ({_histogram("wait_seconds", "wait_seconds IS NOT NULL", "ingest_queueevent", "zone_id")}),
hours AS (SELECT unnest(%(hours)s::timestamptz[]) AS hour_start),
present AS (
    SELECT z.zone_id, hours.hour_start, greatest(z.at - make_interval(secs => z.dwell_seconds), hours.hour_start)
           AS since, least(z.at, hours.hour_start + interval '1 hour') AS until
    FROM hours CROSS JOIN LATERAL (  -- OFFSET 0: an index range scan per hour, never a scan of every stay
        SELECT * FROM ingest_zoneevent z WHERE z.venue_id = %(venue)s AND NOT z.staff AND z.kind = 'exited'
            AND z.at > hours.hour_start AND z.at < hours.hour_start + interval '{MAX_VISIT_HOURS} hours'
            AND z.at - make_interval(secs => z.dwell_seconds) < hours.hour_start + interval '1 hour'
        OFFSET 0
    ) z
),
occupancy AS ({_OCCUPANCY.format(keys="zone_id, hour_start")})
INSERT INTO ingest_zonehour (tenant_id, venue_id, zone_id, hour_start, visits, dwell_seconds, dwell_histogram,
    engagement_score_sum, engagement_scored, queue_joined, queue_served, queue_abandoned, wait_seconds, wait_histogram,
    peak_occupancy, occupancy_seconds, occupied_seconds)
SELECT %(tenant)s, %(venue)s, zone_id, hour_start, coalesce(s.visits, 0), coalesce(s.dwell_seconds, 0),
    coalesce(d.histogram, '{{}}'), coalesce(s.engagement_score_sum, 0), coalesce(s.engagement_scored, 0),
    coalesce(q.joined, 0), coalesce(q.served, 0), coalesce(q.abandoned, 0),
    coalesce(q.wait_seconds, 0), coalesce(w.histogram, '{{}}'), coalesce(o.peak, 0), coalesce(o.seconds, 0),
    coalesce(o.busy_seconds, 0)
FROM stays s FULL JOIN queues q USING (zone_id, hour_start) FULL JOIN occupancy o USING (zone_id, hour_start)
    LEFT JOIN dwell d USING (zone_id, hour_start) LEFT JOIN waits w USING (zone_id, hour_start)
WHERE hour_start = ANY(%(hours)s::timestamptz[])
"""

_DEMOGRAPHIC_HOURS = f"""
INSERT INTO ingest_demographichour (tenant_id, venue_id, hour_start, age_bracket, gender, visits)
SELECT %(tenant)s, %(venue)s, {_LOCAL_HOUR.format(column="at")}, age_bracket, gender, count(*)
FROM ingest_visit
WHERE {_CUSTOMERS_IN_RANGE} AND age_bracket <> '' AND ended_at IS NOT NULL
    AND {_LOCAL_HOUR.format(column="at")} = ANY(%(hours)s::timestamptz[])
GROUP BY 3, 4, 5
"""


_CAMERA_HOURS = f"""
INSERT INTO ingest_camerahour (tenant_id, venue_id, camera_id, hour_start, positions)
SELECT %(tenant)s, %(venue)s, camera_id, hour_start, jsonb_object_agg(cell, n) FROM (
    SELECT camera_id, {_LOCAL_HOUR.format(column="at")} AS hour_start,
           least(floor((point->>2)::float * {CameraHour.GRID[1]}), {CameraHour.GRID[1] - 1})::int * {CameraHour.GRID[0]}
           + least(floor((point->>1)::float * {CameraHour.GRID[0]}), {CameraHour.GRID[0] - 1})::int AS cell,
           count(*) AS n
    FROM ingest_visit, jsonb_array_elements(trajectory) AS point
    WHERE {_CUSTOMERS_IN_RANGE} AND camera_id IS NOT NULL AND ended_at IS NOT NULL
    GROUP BY 1, 2, 3
) cells WHERE hour_start = ANY(%(hours)s::timestamptz[]) GROUP BY camera_id, hour_start
"""


_VISITOR_HOURS = f"""
INSERT INTO ingest_visitorhour (tenant_id, venue_id, hour_start, visitor_id, visits)
SELECT %(tenant)s, %(venue)s, {_LOCAL_HOUR.format(column="at")}, visitor_id, count(*)
FROM ingest_visit
WHERE {_CUSTOMERS_IN_RANGE} AND ended_at IS NOT NULL AND {_LOCAL_HOUR.format(column="at")} = ANY(%(hours)s::timestamptz[])
GROUP BY 3, 4
"""


def _windows(spans: Iterable[tuple[datetime, datetime]]) -> tuple[str, dict]:
    """SQL selecting the rows within these spans of time by index range scans (overlapping spans merged)."""
    merged: list[list[datetime]] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    clauses = " OR ".join(f"(at >= %(low{n})s AND at < %(high{n})s)" for n in range(len(merged)))
    params = {
        f"{edge}{n}": value
        for n, window in enumerate(merged)
        for edge, value in zip(("low", "high"), window, strict=True)
    }
    return clauses, params


ROLLUP_MODELS = (VenueHour, ZoneHour, DemographicHour, CameraHour, VisitorHour)

_IN_HOUR = "date_trunc('hour', ({instant}) AT TIME ZONE %(tz)s) = date_trunc('hour', hour_start AT TIME ZONE %(tz)s)"
_LOCAL_HOURS = f"""
SELECT hour_start,
    CASE WHEN {_IN_HOUR.format(instant="hour_start - interval '1 hour'")} THEN hour_start - interval '1 hour'
         ELSE hour_start END,
    CASE WHEN {_IN_HOUR.format(instant="hour_start + interval '1 hour'")} THEN hour_start + interval '2 hours'
         ELSE hour_start + interval '1 hour' END
FROM (SELECT DISTINCT {_LOCAL_HOUR.format(column="m")} AS hour_start FROM unnest(%(moments)s::timestamptz[]) AS m) hours
"""


def local_hours(moments: Iterable[datetime], time_zone: str) -> list[tuple[datetime, datetime, datetime]]:
    """The venue-local clock hours that contain these moments: each one's start, and the span of time it covers
    (two real hours for a local hour repeated by a DST change)."""
    moments = list(moments)
    if not moments:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_LOCAL_HOURS, {"moments": moments, "tz": time_zone})
        return cursor.fetchall()


_SPANS = f"""
SELECT DISTINCT {_LOCAL_HOUR.format(column="moment")} FROM (
SELECT at AS since, ended_at AS until FROM ingest_visit WHERE {_IN_RANGE} AND ended_at > at
UNION ALL
SELECT at - make_interval(secs => dwell_seconds), at FROM ingest_zoneevent
WHERE {_IN_RANGE} AND kind = 'exited' AND dwell_seconds > 0
UNION ALL
SELECT v.at, v.at FROM (SELECT venue_id, at FROM ingest_sale WHERE {_IN_RANGE}) s
JOIN ingest_zoneevent z ON z.venue_id = s.venue_id AND z.kind = 'exited' AND NOT z.staff
    AND z.at >= s.at - interval '{SALE_LINK_SECONDS} seconds' AND z.at <= s.at + interval '{MAX_VISIT_HOURS} hours'
    AND z.at - make_interval(secs => z.dwell_seconds) <= s.at
JOIN ingest_visit v ON v.tenant_id = z.tenant_id AND v.key = z.visit_key AND v.visit_key = z.visit_key
) spans, LATERAL (SELECT generate_series(since, until, interval '1 hour') UNION ALL SELECT until) AS moments (moment)
"""


def moments_spanned(venue, moments: Iterable[datetime]) -> list[datetime]:
    """`moments`, and a moment in every other hour that the visits and zone stays of their hours were open in
    (their occupancy counts in each of those hours), and in the hours of the visits at the tills when their sales
    were made (a sale may come after its visit). Called before rows are deleted too, while they can be read."""
    moments = list(moments)
    hours = local_hours(moments, venue.time_zone)
    if not hours:
        return moments
    # the rows of the hour before each hour too: a visit of that hour may be the one whose events were written
    windows, params = _windows((low - timedelta(hours=1), high) for _, low, high in hours)
    with connection.cursor() as cursor:
        cursor.execute(_SPANS.replace("{windows}", windows), {**params, "venue": venue.pk, "tz": venue.time_zone})
        return moments + [moment for (moment,) in cursor.fetchall()]


def hours_refresh(venue, moments: Iterable[datetime]) -> None:
    """Recompute the rollups of the venue's local hours that contain `moments` (the times just written) or that
    their visits and stays were open in."""
    spans = local_hours(moments_spanned(venue, moments), venue.time_zone)
    if not spans:
        return
    hours = [hour for hour, _, _ in spans]
    exact = _windows((low, high) for _, low, high in spans)
    # the funnel links each sale to a visit among those it reads: the visits of the hour before each hour too
    wide = _windows((low - timedelta(hours=1), high) for _, low, high in spans)
    has_lines = CountingLine.objects.filter(camera__venue=venue).exists()  # then entering means crossing one in
    params = {
        "venue": venue.pk,
        "tenant": venue.tenant_id,
        "tz": venue.time_zone,
        "hours": hours,
        "has_lines": has_lines,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        # two writes of the same hour at once would both rebuild its rows, and the second would conflict
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_ROLLUP_LOCK, venue.pk])
        for model in ROLLUP_MODELS:  # in SQL: reading them through their manager would rebuild pending hours
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE venue_id = %s AND hour_start = ANY(%s)", [venue.pk, hours]
            )
        for statement, (windows, window_params) in (
            (_VENUE_HOURS, wide), (_ZONE_HOURS, exact), (_DEMOGRAPHIC_HOURS, exact), (_CAMERA_HOURS, exact),
            (_VISITOR_HOURS, exact),
        ):  # fmt: skip
            cursor.execute(statement.replace("{windows}", windows), {**params, **window_params})


_PEND = f"""
INSERT INTO ingest_pendinghour (tenant_id, venue_id, hour_start, version)
SELECT %(tenant)s, %(venue)s, hour_start, 1
FROM (SELECT DISTINCT {_LOCAL_HOUR.format(column="m")} AS hour_start FROM unnest(%(moments)s::timestamptz[]) AS m) hours
ORDER BY hour_start  -- writes lock the rows of their hours in one order: never a deadlock between them
ON CONFLICT (venue_id, hour_start) DO UPDATE SET version = ingest_pendinghour.version + 1  -- marked_at kept
"""

_PENDING = """
SELECT hour_start, version FROM ingest_pendinghour
WHERE venue_id = %(venue)s AND EXISTS (
    SELECT FROM ingest_pendinghour WHERE venue_id = %(venue)s
        AND marked_at <= clock_timestamp() - make_interval(secs => %(settled)s)
)
ORDER BY hour_start LIMIT %(limit)s
"""

_UNPEND = """
DELETE FROM ingest_pendinghour WHERE id IN (
    SELECT id FROM ingest_pendinghour
    WHERE venue_id = %(venue)s AND (hour_start, version) IN (SELECT * FROM unnest(%(hours)s, %(versions)s))
    ORDER BY hour_start FOR UPDATE  -- a write marking one of them again meanwhile keeps its mark
)
"""


def hours_pend(venue, moments: Iterable[datetime]) -> None:
    """Mark the venue's local hours that contain `moments` as pending a rebuild (in the caller's transaction)."""
    # sent as the quarter hours (in UTC) they fall in, a few per batch: every time zone's hours start at one
    moments = list({utc.replace(minute=utc.minute // 15 * 15, second=0, microsecond=0)
                    for utc in (moment.astimezone(UTC) for moment in moments)})  # fmt: skip
    if moments:
        with connection.cursor() as cursor:
            cursor.execute(
                _PEND, {"tenant": venue.tenant_id, "venue": venue.pk, "tz": venue.time_zone, "moments": moments}
            )


def pending_hours_refresh(venue, *, wait: bool, limit: int | None = None, settled: float = 0) -> int | None:
    """Rebuild the venue's pending hours (the oldest `limit` of them) in one transaction, and with them the hours
    their visits and stays were open in; how many were pending. Without `wait`, None if another rebuild of the
    venue is running. With `settled`, nothing is done until some hour has been pending that many seconds."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_{'' if wait else 'try_'}advisory_xact_lock(%s, %s)", [_ROLLUP_LOCK, venue.pk])
        if not wait and not cursor.fetchone()[0]:
            return None
        cursor.execute(_PENDING, {"venue": venue.pk, "limit": limit, "settled": settled})
        pending = cursor.fetchall()
        if pending:
            hours_refresh(venue, [hour for hour, _ in pending])
            cursor.execute(_UNPEND, {
                "venue": venue.pk, "hours": [hour for hour, _ in pending], "versions": [n for _, n in pending],
            })  # fmt: skip
    return len(pending)


def written_hours_refresh(venue) -> None:
    """After a write has committed: rebuild the venue's pending hours in rounds, once some have waited
    `SETTLE_SECONDS` (the writes meanwhile join the round) and unless another rebuild of the venue is running.
    Stops starting rounds after `WRITER_REFRESH_SECONDS`. Hours left pending are rebuilt by a later write or
    by the next reader (`RollupManager`)."""
    deadline = time.monotonic() + WRITER_REFRESH_SECONDS
    try:
        while pending_hours_refresh(venue, wait=False, limit=HOURS_PER_ROUND, settled=SETTLE_SECONDS):
            if time.monotonic() > deadline:
                return
    except OperationalError as error:  # the events are stored, their hours still pending: a later rebuild takes them
        logger.warning("rollups of venue %s left pending: %s", venue.pk, error)


def pending_hours_refresh_in_scope() -> None:
    """Rebuild the pending hours of every venue of the current tenant scope, if one is active: every reader of the
    rollups calls this first (`RollupManager` does, for reads through the models)."""
    scope = current_scope()
    if scope is None or not scope.active:
        return
    venue_ids = set(PendingHour.objects.values_list("venue_id", flat=True).distinct())
    for venue in Venue.objects.filter(pk__in=venue_ids) if venue_ids else ():
        pending_hours_refresh(venue, wait=True)
