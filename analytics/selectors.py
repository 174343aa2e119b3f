"""Read-only questions about visitor events, answered from the hourly rollups (`ingest.rollups`).

Every answer is in the venue's local time and carries its `coverage`: how many of the period's hours have
any data, and the first and last hour with data, so a dashboard can say what a number rests on.
"""

from __future__ import annotations

import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Max, Sum
from django.db.models.functions import Abs, ExtractHour, TruncDate
from django.utils import timezone

from analytics.faces import faces_missing
from analytics.periods import Period
from analytics.visitors import unique_visitors
from ingest.models import CameraHour, CountAudit, DemographicHour, VenueHour, ZoneHour
from ingest.rollups import histogram_percentile, pending_hours_refresh_in_scope
from venues.models import BenchmarkReference, Camera, CountingLine, Zone

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _hours(venue, period: Period):
    return VenueHour.objects.filter(venue=venue, hour_start__gte=period.start, hour_start__lt=period.end).order_by(
        "hour_start"
    )


def coverage(venue, period: Period) -> dict:
    hours = _hours(venue, period).values_list("hour_start", flat=True)
    with_data = list(hours)
    return {
        "hours_in_period": period.hours,
        "hours_with_data": len(with_data),
        "share": round(len(with_data) / period.hours, 4) if period.hours else 0.0,
        "first_hour": period.local(with_data[0]).isoformat() if with_data else None,
        "last_hour": period.local(with_data[-1]).isoformat() if with_data else None,
    }


def counts_entrances(venue) -> bool:
    """Visitors are entrance in-crossings where the venue has a counting line, else visits."""
    return CountingLine.objects.filter(camera__venue=venue).exists()


@dataclass(frozen=True)
class Totals:
    visits: int
    visitors: int
    entries: int
    exits: int
    visit_seconds: float
    transactions: int
    revenue: Decimal
    histogram: dict


def summed_histograms(model, field: str, venue, period: Period, key: str | None = None) -> dict:
    """Rollup histograms added up in the database: {bucket: count}, or {key value: {bucket: count}}."""
    group = f"{key}, " if key else ""
    pending_hours_refresh_in_scope()  # read in SQL, not through the model's RollupManager
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {group}bucket, sum(n::int) FROM {model._meta.db_table}, jsonb_each_text({field}) AS h(bucket, n) "
            "WHERE tenant_id = %s AND venue_id = %s AND hour_start >= %s AND hour_start < %s "
            f"GROUP BY {group}bucket",
            [venue.tenant_id, venue.pk, period.start, period.end],
        )
        rows = cursor.fetchall()
    if not key:
        return {bucket: count for bucket, count in rows}
    grouped: dict = defaultdict(dict)
    for value, bucket, count in rows:
        grouped[value][bucket] = count
    return grouped


def _totals(venue, period: Period, entrances: bool, histogram: bool = False) -> Totals:
    sums = _hours(venue, period).aggregate(
        visits=Sum("visits"), entries=Sum("entries"), exits=Sum("exits"), visit_seconds=Sum("visit_seconds"),
        transactions=Sum("transactions"), revenue=Sum("revenue"),
    )  # fmt: skip
    visits, entries = sums["visits"] or 0, sums["entries"] or 0
    return Totals(
        visits=visits, visitors=entries if entrances else visits, entries=entries, exits=sums["exits"] or 0,
        visit_seconds=sums["visit_seconds"] or 0.0, transactions=sums["transactions"] or 0,
        revenue=sums["revenue"] or Decimal(0),
        histogram=summed_histograms(VenueHour, "visit_histogram", venue, period) if histogram else {},
    )  # fmt: skip


OCCUPANCY_SUMS = {"peak": Max("peak_occupancy"), "seconds": Sum("occupancy_seconds"), "busy": Sum("occupied_seconds")}


def occupancy_of(hours) -> dict:
    """Over rollup hours: the most people present at once and its first hour, and the number present on average
    while anyone was (None where nobody was)."""
    sums = hours.aggregate(**OCCUPANCY_SUMS)
    peak = sums["peak"] or None
    first = hours.filter(peak_occupancy=peak).order_by("hour_start").values_list("hour_start", flat=True).first()
    return {"peak": peak, "peak_hour": first if peak else None, "average": _average_occupancy(sums)}


def _average_occupancy(sums: dict) -> float | None:
    return round(sums["seconds"] / sums["busy"], 2) if sums["busy"] else None


def count_accuracy(audits) -> dict | None:
    """How the product's line counts agree with people's own counts on review clips (`CountAudit`): 1 - the
    crossings it counted too many or too few over the crossings people counted; None where nobody audited."""
    sums = audits.aggregate(
        audits=Count("id"), crossings=Sum(F("counted_in") + F("counted_out")),
        off=Sum(Abs(F("measured_in") - F("counted_in")) + Abs(F("measured_out") - F("counted_out"))),
    )  # fmt: skip
    if not sums["audits"]:
        return None
    crossings = sums["crossings"] or 0
    accuracy = round(max(0.0, 1 - sums["off"] / crossings), 4) if crossings else None
    return {"audits": sums["audits"], "crossings": crossings, "accuracy": accuracy}


def _change(now: float, before: float) -> float | None:
    return round((now - before) / before, 4) if before else None


def overview(venue, period: Period) -> dict:
    """Headline numbers. Peak occupancy is the most people present at once (visits open at the same moment) in
    any hour of the period; average occupancy is the number present on average while anyone was; week-over-week
    compares visitors with the same days a week earlier."""
    entrances = counts_entrances(venue)
    now = _totals(venue, period, entrances, histogram=True)
    week_before = _totals(venue, period.shifted(-7), entrances)
    occupancy = occupancy_of(_hours(venue, period))
    return {
        "visitors": now.visitors,
        "visitors_counted_by": "entrance line" if entrances else "visits",
        "visits": now.visits,
        "unique_visitors": unique_visitors(venue, period),
        "unique_visitors_basis": "people recognised by face count once however many cameras or visits saw them; "
        "a visit without a recognised face counts as one",
        "entries": now.entries,
        "exits": now.exits,
        "average_visit_seconds": round(now.visit_seconds / now.visits, 1) if now.visits else None,
        "median_visit_seconds": histogram_percentile(now.histogram, 0.5),
        "peak_occupancy": occupancy["peak"],
        "peak_occupancy_hour": period.local(occupancy["peak_hour"]).isoformat() if occupancy["peak_hour"] else None,
        "average_occupancy": occupancy["average"],
        "transactions": now.transactions,
        "revenue": str(now.revenue),
        "conversion": round(now.transactions / now.visitors, 4) if now.transactions and now.visitors else None,
        "visitors_change_week_over_week": _change(now.visitors, week_before.visitors),
        "count_audits": count_accuracy(CountAudit.objects.filter(job__venue=venue)),
        "coverage": coverage(venue, period),
    }


def hourly(venue, period: Period) -> dict:
    """Per local hour of the day: visitors and visits summed over the period, with the daily average."""
    entrances = counts_entrances(venue)
    by_hour: dict[int, Counter] = defaultdict(Counter)
    for row in _hours(venue, period).values("hour_start", "visits", "entries", "transactions"):
        hour = period.local(row["hour_start"]).hour
        by_hour[hour].update(visits=row["visits"], entries=row["entries"], transactions=row["transactions"])
    return {
        "hours": [
            {
                "hour": hour,
                "visitors": (c := by_hour[hour])["entries" if entrances else "visits"],
                "visits": c["visits"],
                "transactions": c["transactions"],
                "visitors_per_day": round(c["entries" if entrances else "visits"] / period.days, 2),
            }
            for hour in range(24)
        ],
        "coverage": coverage(venue, period),
    }


def daily(venue, period: Period) -> dict:
    entrances = counts_entrances(venue)
    by_day: dict = defaultdict(Counter)
    for row in _hours(venue, period).values("hour_start", "visits", "entries", "transactions"):
        day = period.local(row["hour_start"]).date()
        by_day[day].update(visits=row["visits"], entries=row["entries"], transactions=row["transactions"])
    days = [period.first + timedelta(days=n) for n in range(period.days)]
    return {
        "days": [
            {
                "date": d.isoformat(),
                "visitors": by_day[d]["entries" if entrances else "visits"],
                "visits": by_day[d]["visits"],
                "transactions": by_day[d]["transactions"],
            }
            for d in days
        ],
        "coverage": coverage(venue, period),
    }


def heatmap(venue, period: Period) -> dict:
    """Visitors by local weekday (rows, Monday first) and hour of the day (columns)."""
    entrances = counts_entrances(venue)
    grid = [[0] * 24 for _ in range(7)]
    for row in _hours(venue, period).values("hour_start", "visits", "entries"):
        local = period.local(row["hour_start"])
        grid[local.weekday()][local.hour] += row["entries" if entrances else "visits"]
    return {"weekdays": list(WEEKDAYS), "visitors": grid, "coverage": coverage(venue, period)}


def zones(venue, period: Period) -> dict:
    """Per zone: stays, dwell median and 90th percentile, share of visitors, dead zones, the average engagement
    score of the visits that stayed there, its peak and average occupancy (as the overview's, from the stays), and
    occupancy over the day (the average number of people in the zone during each local hour, from the dwell of
    stays ending then)."""
    visitors = _totals(venue, period, counts_entrances(venue)).visitors
    rows = ZoneHour.objects.filter(venue=venue, hour_start__gte=period.start, hour_start__lt=period.end)
    histograms = summed_histograms(ZoneHour, "dwell_histogram", venue, period, key="zone_id")
    stats = {
        row["zone_id"]: {**row, "histogram": histograms.get(row["zone_id"], {}), "by_hour": Counter()}
        for row in rows.values("zone_id").annotate(visits=Sum("visits"), dwell=Sum("dwell_seconds"),
                                                    score=Sum("engagement_score_sum"), scored=Sum("engagement_scored"),
                                                    **OCCUPANCY_SUMS)
    }  # fmt: skip
    local_hour = ExtractHour("hour_start", tzinfo=zoneinfo.ZoneInfo(period.time_zone))
    for row in rows.annotate(hour=local_hour).values("zone_id", "hour").annotate(dwell=Sum("dwell_seconds")):
        stats[row["zone_id"]]["by_hour"][row["hour"]] += row["dwell"]
    answer = []
    for zone in Zone.objects.filter(camera__venue=venue).order_by("name"):
        s = stats.get(zone.pk, {"visits": 0, "dwell": 0.0, "histogram": {}, "by_hour": Counter(), "score": 0,
                                "scored": 0, "peak": 0, "busy": 0})  # fmt: skip
        answer.append({
            "zone": zone.pk, "name": zone.name, "kind": zone.kind, "visits": s["visits"],
            "dwell_median_seconds": histogram_percentile(s["histogram"], 0.5),
            "dwell_p90_seconds": histogram_percentile(s["histogram"], 0.9),
            "total_dwell_seconds": round(s["dwell"], 1),
            "share_of_visitors": round(min(1.0, s["visits"] / visitors), 4) if visitors else None,
            "dead": s["visits"] == 0,
            "average_engagement": round(s["score"] / s["scored"], 1) if s["scored"] else None,
            "peak_occupancy": s["peak"] or None, "average_occupancy": _average_occupancy(s),
            "occupancy_by_hour": [{"hour": h, "average_people": round(s["by_hour"][h] / 3600 / period.days, 3)}
                                  for h in sorted(s["by_hour"])],
        })  # fmt: skip
    return {"zones": answer, "coverage": coverage(venue, period)}


def queues(venue, period: Period) -> dict:
    """Per queue zone: joined, served, abandoned, abandonment rate, wait median and 90th percentile, by hour."""
    rows = ZoneHour.objects.filter(
        venue=venue, zone__kind=Zone.Kind.QUEUE, hour_start__gte=period.start, hour_start__lt=period.end
    )
    counts = {"joined": Sum("queue_joined"), "served": Sum("queue_served"), "abandoned": Sum("queue_abandoned")}
    totals = {row["zone_id"]: row for row in rows.values("zone_id").annotate(**counts)}
    by_hour: dict[int, list] = defaultdict(list)
    local_hour = ExtractHour("hour_start", tzinfo=zoneinfo.ZoneInfo(period.time_zone))
    for row in rows.annotate(hour=local_hour).values("zone_id", "hour").annotate(**counts).order_by("hour"):
        by_hour[row.pop("zone_id")].append(row)
    waits = summed_histograms(ZoneHour, "wait_histogram", venue, period, key="zone_id")
    answer = []
    for zone in Zone.objects.filter(camera__venue=venue, kind=Zone.Kind.QUEUE).order_by("name"):
        z = totals.get(zone.pk, {"joined": 0, "served": 0, "abandoned": 0})
        settled = z["served"] + z["abandoned"]
        answer.append({
            "zone": zone.pk, "name": zone.name, "joined": z["joined"], "served": z["served"],
            "abandoned": z["abandoned"], "abandonment_rate": round(z["abandoned"] / settled, 4) if settled else None,
            "wait_median_seconds": histogram_percentile(waits.get(zone.pk, {}), 0.5),
            "wait_p90_seconds": histogram_percentile(waits.get(zone.pk, {}), 0.9),
            "by_hour": by_hour.get(zone.pk, []),
        })  # fmt: skip
    return {"queues": answer, "coverage": coverage(venue, period)}


def demographics(venue, period: Period) -> dict:
    rows = (
        DemographicHour.objects.filter(venue=venue, hour_start__gte=period.start, hour_start__lt=period.end)
        .values("age_bracket", "gender")
        .annotate(visits=Sum("visits"))
    )
    totals = _hours(venue, period).aggregate(visits=Sum("visits"), known=Sum("with_demographics"))
    ages, genders = Counter(), Counter()
    for row in rows:
        ages[row["age_bracket"]] += row["visits"]
        genders[row["gender"]] += row["visits"]
    visits, known = totals["visits"] or 0, totals["known"] or 0
    return {
        "age_brackets": dict(sorted(ages.items())),
        "genders": dict(genders),
        "visits_with_demographics": known,
        "share_with_demographics": round(known / visits, 4) if visits else None,
        "why_empty": faces_missing(venue, visits, known, embeddings=False),
        "coverage": coverage(venue, period),
    }


def engagement(venue, period: Period) -> dict:
    totals = _hours(venue, period).aggregate(
        score=Sum("engagement_score_sum"), scored=Sum("engagement_scored"), engaged=Sum("engaged"),
        browsing=Sum("browsing"), waiting=Sum("waiting"), passing=Sum("passing"), upright=Sum("upright"),
        leaning=Sum("leaning"), arms_crossed=Sum("arms_crossed"),
    )  # fmt: skip
    by_hour: dict[int, Counter] = defaultdict(Counter)
    for row in _hours(venue, period).values("hour_start", "engagement_score_sum", "engagement_scored"):
        hour = period.local(row["hour_start"]).hour
        by_hour[hour].update(score=row["engagement_score_sum"], scored=row["engagement_scored"])
    return {
        "average_score": round(totals["score"] / totals["scored"], 1) if totals["scored"] else None,
        "behaviours": {key: totals[key] or 0 for key in ("engaged", "browsing", "waiting", "passing")},
        "postures": {key.replace("_", " "): totals[key] or 0 for key in ("upright", "leaning", "arms_crossed")},
        "by_hour": [
            {"hour": h, "average_score": round(c["score"] / c["scored"], 1)}
            for h, c in sorted(by_hour.items())
            if c["scored"]
        ],
        "coverage": coverage(venue, period),
    }


NO_SALES = {"reason": "no_sales", "message": "No sales in this period: send the tills' sales to the API or upload "
             "them as CSV (id, at, amount, items, basket_id) to see conversion and sales against traffic."}  # fmt: skip


def sales(venue, period: Period) -> dict:
    entrances = counts_entrances(venue)
    by_hour: dict[int, Counter] = defaultdict(Counter)
    pairs = []
    revenue = Decimal(0)
    for row in _hours(venue, period).values("hour_start", "visits", "entries", "transactions", "revenue", "items"):
        hour = period.local(row["hour_start"]).hour
        visitors = row["entries" if entrances else "visits"]
        by_hour[hour].update(transactions=row["transactions"], items=row["items"], visitors=visitors)
        by_hour[hour]["revenue_cents"] += int(row["revenue"] * 100)
        revenue += row["revenue"]
        pairs.append((visitors, row["transactions"]))
    transactions = sum(c["transactions"] for c in by_hour.values())
    return {
        "revenue": str(revenue),
        "transactions": transactions,
        "average_basket": str(round(revenue / transactions, 2)) if transactions else None,
        "by_hour": [
            {
                "hour": h,
                "revenue": str(Decimal(c["revenue_cents"]) / 100),
                "transactions": c["transactions"],
                "average_basket": str(round(Decimal(c["revenue_cents"]) / 100 / c["transactions"], 2))
                if c["transactions"]
                else None,
            }
            for h, c in sorted(by_hour.items())
        ],
        "traffic_sales_correlation": _pearson(pairs),
        "why_empty": None if transactions else NO_SALES,
        "coverage": coverage(venue, period),
    }


def funnel(venue, period: Period) -> dict:
    """Entered -> browsed -> queued -> purchased, nested by visit: each stage is the visits of the stage before that
    also stayed in a zone, then queued or reached a checkout, then had a sale linked to them (made while they were
    at the tills or within two minutes of leaving; each sale to one visit). Visits count in the hour they started;
    sales no visit was at the tills for are counted apart (`transactions_not_linked`)."""
    totals = _hours(venue, period).aggregate(
        entered=Sum("entered"), browsed=Sum("browsed"), queued=Sum("queued"), purchased=Sum("purchased"),
        linked=Sum("sales_linked"), transactions=Sum("transactions"),
    )  # fmt: skip
    entered, transactions = totals["entered"] or 0, totals["transactions"] or 0
    stages = [("entered", entered), ("browsed", totals["browsed"] or 0), ("queued", totals["queued"] or 0),
              ("purchased", totals["purchased"] or 0)]  # fmt: skip
    return {
        "stages": [
            {"stage": name, "count": count, "share_of_entered": round(count / entered, 4) if entered else None}
            for name, count in stages
        ],
        "entered_counted_by": "entrance line" if counts_entrances(venue) else "visits",
        "transactions": transactions,
        "transactions_not_linked": max(0, transactions - (totals["linked"] or 0)),
        "coverage": coverage(venue, period),
    }


def spatial(venue, period: Period) -> dict:
    """Where people stood, per camera: trajectory points (about one a second per person) on a grid over the image."""
    columns, rows = CameraHour.GRID
    grids: dict[int, list[list[int]]] = {}
    for row in CameraHour.objects.filter(venue=venue, hour_start__gte=period.start, hour_start__lt=period.end).values(
        "camera_id", "positions"
    ):
        grid = grids.setdefault(row["camera_id"], [[0] * columns for _ in range(rows)])
        for cell, count in row["positions"].items():
            grid[int(cell) // columns][int(cell) % columns] += count
    cameras = Camera.objects.filter(venue=venue).order_by("name")
    return {
        "columns": columns, "rows": rows,
        "cameras": [{"camera": c.pk, "name": c.name, "grid": grids.get(c.pk, [[0] * columns for _ in range(rows)])}
                    for c in cameras],
        "coverage": coverage(venue, period),
    }  # fmt: skip


NO_WEEKLY_DATA = {"reason": "no_data", "message": "No visitors in these weeks: process a video of the venue's cameras "
                  "or send its events, and each week's visitors appear here."}  # fmt: skip
YEAR = timedelta(weeks=52)  # the same weekdays a year earlier


def weekly(venue, last_day: date, weeks: int, today: date | None = None) -> dict:
    """Visitors per local week (Monday to Sunday), the `weeks` weeks up to the one holding `last_day`, each against
    the week before and the same week a year earlier (52 weeks before) where that has data. A week still under way
    is compared over its days so far with the same days of the other weeks."""
    today = today or timezone.now().astimezone(zoneinfo.ZoneInfo(venue.time_zone)).date()
    entrances = counts_entrances(venue)
    last_monday = last_day - timedelta(days=last_day.weekday())
    mondays = [last_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    read = Period(mondays[0] - YEAR - timedelta(weeks=1), last_monday + timedelta(days=6), venue.time_zone)
    by_day = {
        row["day"]: row
        for row in _hours(venue, read).annotate(day=TruncDate("hour_start", tzinfo=zoneinfo.ZoneInfo(venue.time_zone)))
        .values("day").order_by("day")
        .annotate(visits=Sum("visits"), entries=Sum("entries"), transactions=Sum("transactions"), hours=Count("pk"))
    }  # fmt: skip

    def week(monday: date, days: int) -> dict:
        rows = [by_day[d] for n in range(days) if (d := monday + timedelta(days=n)) in by_day]
        return {
            "visitors": sum(r["entries" if entrances else "visits"] for r in rows),
            "visits": sum(r["visits"] for r in rows),
            "transactions": sum(r["transactions"] for r in rows),
            "hours_with_data": sum(r["hours"] for r in rows),
        }

    answer = []
    for monday in mondays:
        days = max(0, min(7, (today - monday).days + 1))  # days of the week that have begun
        now, before, year_ago = week(monday, days), week(monday - timedelta(weeks=1), days), week(monday - YEAR, days)
        answer.append({
            "week_start": monday.isoformat(), "week_end": (monday + timedelta(days=6)).isoformat(),
            "days_compared": days, "complete": days == 7, **now,
            "change_week_over_week": _change(now["visitors"], before["visitors"]) if before["hours_with_data"] else None,
            "year_ago": {"week_start": (monday - YEAR).isoformat(), **year_ago} if year_ago["hours_with_data"] else None,
            "change_year_over_year": _change(now["visitors"], year_ago["visitors"]) if year_ago["hours_with_data"] else None,
        })  # fmt: skip
    return {
        "weeks": answer,
        "visitors_counted_by": "entrance line" if entrances else "visits",
        "why_empty": None if any(w["visitors"] for w in answer) else NO_WEEKLY_DATA,
        "coverage": coverage(venue, Period(mondays[0], last_monday + timedelta(days=6), venue.time_zone)),
    }


COMPARED = ("visitors_per_day", "conversion", "average_visit_seconds")  # what venues are compared on


def _against(values: dict, base: dict) -> dict:
    """Each compared figure's relative difference from `base`'s; none where either is missing or the base is 0."""
    return {name: round((values[name] - base[name]) / base[name], 4) if values.get(name) is not None and base.get(name)
            else None for name in COMPARED}  # fmt: skip


def benchmark_references(given: dict | None = None) -> dict:
    """The reference figures the tenant stored, as {venue type: {figure: value}}, with `given` (the same shape, e.g.
    from a request) taking the place of a stored figure."""
    references: dict[str, dict] = defaultdict(dict)
    for reference in BenchmarkReference.objects.all():
        references[reference.venue_type][reference.figure] = reference.value
    for kind, figures in (given or {}).items():
        references[kind].update(figures)
    return dict(references)


def venue_comparison(tenant_venues, first, last, references: dict | None = None) -> dict:
    """The tenant's venues side by side over the same local days; per venue type the average of its venues, each
    venue against that average (with at least two of the type), and against the reference figures the user gave
    for the type (`references`: {venue type: {figure: value}}; none are ever assumed)."""
    references = references or {}
    venues = []
    for venue in tenant_venues:
        period = Period(first, last, venue.time_zone)
        totals = _totals(venue, period, counts_entrances(venue))
        venues.append({
            "venue": venue.pk, "name": venue.name, "venue_type": venue.venue_type, "visitors": totals.visitors,
            "visitors_counted_by": "entrance line" if counts_entrances(venue) else "visits",
            "average_visit_seconds": round(totals.visit_seconds / totals.visits, 1) if totals.visits else None,
            "transactions": totals.transactions, "revenue": str(totals.revenue),
            "conversion": round(totals.transactions / totals.visitors, 4) if totals.visitors and totals.transactions else None,
            "visitors_per_day": round(totals.visitors / period.days, 1),
        })  # fmt: skip
    by_type: dict[str, list] = defaultdict(list)
    for venue in venues:
        by_type[venue["venue_type"]].append(venue)
    benchmarks = []
    for kind, group in sorted(by_type.items()):
        average = {"visitors_per_day": round(sum(v["visitors_per_day"] for v in group) / len(group), 1),
                   "conversion": _mean([v["conversion"] for v in group]),
                   "average_visit_seconds": _mean([v["average_visit_seconds"] for v in group])}  # fmt: skip
        reference = references.get(kind, {})
        for venue in group:
            venue["against_type_average"] = _against(venue, average) if len(group) > 1 else None
            venue["against_reference"] = _against(venue, reference) if reference else None
        benchmarks.append({"venue_type": kind, "venues": len(group), **average, "reference": reference or None,
                           "against_reference": _against(average, reference) if reference else None})  # fmt: skip
    return {"venues": venues, "benchmarks": benchmarks, "first_day": first.isoformat(), "last_day": last.isoformat()}


def _mean(values: list) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 4) if known else None


def _pearson(pairs: list[tuple[float, float]]) -> float | None:
    if len(pairs) < 3:
        return None
    n = len(pairs)
    mean_x, mean_y = sum(x for x, _ in pairs) / n, sum(y for _, y in pairs) / n
    cov = sum((x - mean_x) * (y - mean_y) for x, y in pairs)
    var_x, var_y = sum((x - mean_x) ** 2 for x, _ in pairs), sum((y - mean_y) ** 2 for _, y in pairs)
    return round(cov / (var_x * var_y) ** 0.5, 4) if var_x and var_y else None
