"""The executive summary of a venue over a period: the few findings that matter, each computed from the analytics
answers, with the numbers behind it and a plain recommendation.

Each rule reads the answers it needs and returns a `Finding` or None. Every rule has its own minimum data (visits
in each compared slice, days with footage) and asks for a difference well beyond chance before it speaks, so no
finding exists without data behind it. A period whose footage covers too few days gets no findings at all, only
the reason. The rules, their thresholds and an example sentence of each are in docs/summary.md.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from functools import cached_property
from math import sqrt

from django.db.models import Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay

from analytics import selectors, visitors
from analytics.periods import Period
from ingest.models import ZoneHour
from venues.hours import open_minutes
from venues.models import Zone

MIN_DAYS_WITH_DATA = 3
MIN_DAY_SHARE = 0.5  # of the period's days
MAX_FINDINGS = 5
Z = 3.0  # standard errors a difference must clear: several bands, zones and stages are tried, so well above 2


@dataclass(frozen=True)
class Number:
    name: str
    value: float
    unit: str


@dataclass(frozen=True)
class Finding:
    key: str  # the rule
    importance: int  # 0-100, for ranking
    title: str
    numbers: tuple[Number, ...]
    basis: str  # what the numbers are compared with
    recommendation: str


class Answers:
    """The analytics answers the rules read, each computed once, and only when a rule asks for it."""

    def __init__(self, venue, period: Period):
        self.venue, self.period, self.previous = venue, period, period.shifted(-period.days)

    @cached_property
    def daily(self) -> dict:
        return selectors.daily(self.venue, self.period)

    @cached_property
    def previous_daily(self) -> dict:
        return selectors.daily(self.venue, self.previous)

    @cached_property
    def hourly(self) -> dict:
        return selectors.hourly(self.venue, self.period)

    @cached_property
    def zones(self) -> dict:
        return selectors.zones(self.venue, self.period)

    @cached_property
    def queues(self) -> dict:
        return selectors.queues(self.venue, self.period)

    @cached_property
    def funnel(self) -> dict:
        return selectors.funnel(self.venue, self.period)

    @cached_property
    def returning(self) -> dict:
        return visitors.returning_visitors(self.venue, self.period)

    @cached_property
    def previous_returning(self) -> dict:
        return visitors.returning_visitors(self.venue, self.previous)

    @cached_property
    def queue_outcomes(self) -> dict[tuple[int, int, int], tuple[int, int]]:
        """(queue zone, ISO weekday, local hour) -> (served, abandoned): the queues answer adds all days together."""
        local = zoneinfo.ZoneInfo(self.period.time_zone)
        rows = (
            ZoneHour.objects.filter(venue=self.venue, zone__kind=Zone.Kind.QUEUE, hour_start__gte=self.period.start,
                                    hour_start__lt=self.period.end)
            .annotate(weekday=ExtractIsoWeekDay("hour_start", tzinfo=local),
                      hour=ExtractHour("hour_start", tzinfo=local))
            .values("zone_id", "weekday", "hour")
            .annotate(served=Sum("queue_served"), abandoned=Sum("queue_abandoned"))
        )  # fmt: skip
        return {(r["zone_id"], r["weekday"], r["hour"]): (r["served"], r["abandoned"]) for r in rows}


def days_with_data(daily: dict) -> list[dict]:
    """The days of a `daily` answer with any visitor counted: the days the footage covers."""
    return [day for day in daily["days"] if day["visitors"]]


def covered(daily: dict) -> bool:
    n = len(days_with_data(daily))
    return n >= MIN_DAYS_WITH_DATA and n >= MIN_DAY_SHARE * len(daily["days"])


def _rounded(value: float) -> float:
    """Two or three significant figures: 412, 31, 9.1."""
    return round(value) if abs(value) >= 10 else round(value, 1)


def _percent(fraction: float) -> float:
    return _rounded(100 * fraction)


def _band(first_hour: int, hours: int) -> str:
    return f"{first_hour:02d}:00-{(first_hour + hours) % 24:02d}:00"


def _days(period: Period) -> str:
    first, last = period.first, period.last
    if first == last:
        return f"{first:%a} {first.day} {first:%b}"
    return f"{first.day}{f' {first:%b}' if first.month != last.month else ''}-{last.day} {last:%b}"


def _proportions_z(hits_a: int, n_a: int, hits_b: int, n_b: int) -> float:
    """How many standard errors apart two proportions are (0 when they cannot be told apart)."""
    pooled = (hits_a + hits_b) / (n_a + n_b)
    spread = sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    return (hits_a / n_a - hits_b / n_b) / spread if spread else 0.0


def _importance(base: int, excess: float, per_unit: float, cap: int = 30) -> int:
    """A ranking score: the rule's `base`, plus `per_unit` for each unit by which the finding clears its threshold,
    at most `cap` more."""
    return base + round(min(cap, max(0.0, excess * per_unit)))


MIN_PERIOD_VISITORS = 100
MIN_TRAFFIC_CHANGE = 0.15


def traffic_change(a: Answers) -> Finding | None:
    """Visitors per day with footage against the previous period of the same length."""
    if not covered(a.previous_daily):
        return None
    now, before = days_with_data(a.daily), days_with_data(a.previous_daily)
    total_now, total_before = sum(d["visitors"] for d in now), sum(d["visitors"] for d in before)
    if min(total_now, total_before) < MIN_PERIOD_VISITORS:
        return None
    rate_now, rate_before = total_now / len(now), total_before / len(before)
    change = rate_now / rate_before - 1
    noise = sqrt(total_now / len(now) ** 2 + total_before / len(before) ** 2)  # Poisson counts
    if abs(change) < MIN_TRAFFIC_CHANGE or abs(rate_now - rate_before) < Z * noise:
        return None
    up = change > 0
    return Finding(
        key="traffic_change",
        importance=_importance(40, abs(change), 60),
        title=f"Visitors {'up' if up else 'down'} {_percent(abs(change))} % on the previous {a.period.days} days",
        numbers=(
            Number("visitors per day", _rounded(rate_now), "visitors"),
            Number("visitors per day before", _rounded(rate_before), "visitors"),
            Number("change", _percent(change), "%"),
        ),
        basis=f"{_days(a.period)} against {_days(a.previous)}, per day with footage ({len(now)} and {len(before)} days)",
        recommendation="Plan staff and stock for the extra traffic, and find out what drove it (an offer, an event, "
        "the weather) to repeat it."
        if up
        else "Check what changed: the entrance and window, local events or roadworks, competitors' offers; weigh a "
        "promotion to win visitors back.",
    )


PEAK_HOURS = 3
MIN_PEAK_VISITORS = 200
MIN_TRADING_HOURS = 6
TRADING_HOUR_SHARE = 0.01  # an hour with at least this share of the visitors is a trading hour
PEAK_RATIO = 1.5  # the band holds at least this many times its even share


def peak_hours(a: Answers) -> Finding | None:
    """The busiest three consecutive hours of the day against an even spread over the trading hours."""
    by_hour = [h["visitors"] for h in a.hourly["hours"]]
    total = sum(by_hour)
    trading = sum(v >= TRADING_HOUR_SHARE * total for v in by_hour)
    if total < MIN_PEAK_VISITORS or trading < MIN_TRADING_HOURS:
        return None
    band = max(range(24 - PEAK_HOURS + 1), key=lambda h: sum(by_hour[h : h + PEAK_HOURS]))
    in_band = sum(by_hour[band : band + PEAK_HOURS])
    share, even = in_band / total, PEAK_HOURS / trading
    if share < PEAK_RATIO * even:
        return None
    hours = _band(band, PEAK_HOURS)
    return Finding(
        key="peak_hours",
        importance=_importance(25, share - even, 50, cap=20),
        title=f"{_percent(share)} % of visitors come between {hours.replace('-', ' and ')}",
        numbers=(
            Number(f"share of visitors {hours}", _percent(share), "%"),
            Number(f"visitors per day {hours}", _rounded(in_band / len(days_with_data(a.daily))), "visitors"),
            Number("even share", _percent(even), "%"),
        ),
        basis=f"{PEAK_HOURS} of the {trading} hours with traffic would hold {_percent(even)} % if visitors came evenly",
        recommendation=f"Have most staff on the floor and at the tills from {hours.replace('-', ' to ')}; keep breaks, "
        "deliveries and restocking out of those hours.",
    )


ABANDONMENT_BAND_HOURS = 2
MIN_QUEUE_OUTCOMES = 20  # served or abandoned, in the band and in the rest each
ABANDONMENT_RATIO = 1.5
ABANDONMENT_MIN_EXCESS = 0.10  # percentage points, as a fraction
DAY_TYPES = (("on weekdays", range(1, 6)), ("at weekends", range(6, 8)), ("every day", range(1, 8)))


@dataclass(frozen=True)
class _Band:
    """A queue's outcomes in one day type x hour band, and in the rest of the period."""

    zone: int
    days: str
    first_hour: int
    abandoned: int
    outcomes: int
    rest_abandoned: int
    rest_outcomes: int

    @property
    def rate(self) -> float:
        return self.abandoned / self.outcomes

    @property
    def rest_rate(self) -> float:
        return self.rest_abandoned / self.rest_outcomes

    @property
    def hours(self) -> str:
        return _band(self.first_hour, ABANDONMENT_BAND_HOURS)

    def clearly_worse(self) -> bool:
        return (
            min(self.outcomes, self.rest_outcomes) >= MIN_QUEUE_OUTCOMES
            and self.rate >= ABANDONMENT_RATIO * self.rest_rate
            and self.rate - self.rest_rate >= ABANDONMENT_MIN_EXCESS
            and self.z >= Z
        )

    @property
    def z(self) -> float:
        return _proportions_z(self.abandoned, self.outcomes, self.rest_abandoned, self.rest_outcomes)


def _abandonment_bands(a: Answers) -> Iterator[_Band]:
    by_zone: dict[int, dict] = defaultdict(dict)
    for (zone, weekday, hour), outcome in a.queue_outcomes.items():
        by_zone[zone][weekday, hour] = outcome
    for zone, cells in by_zone.items():
        abandoned, outcomes = sum(ab for _, ab in cells.values()), sum(s + ab for s, ab in cells.values())
        for days, weekdays in DAY_TYPES:
            for first in range(24 - ABANDONMENT_BAND_HOURS + 1):
                inside = [
                    cells.get((d, h), (0, 0)) for d in weekdays for h in range(first, first + ABANDONMENT_BAND_HOURS)
                ]
                band_abandoned, band_outcomes = sum(ab for _, ab in inside), sum(s + ab for s, ab in inside)
                yield _Band(zone, days, first, band_abandoned, band_outcomes, abandoned - band_abandoned,
                            outcomes - band_outcomes)  # fmt: skip


def queue_abandonment_band(a: Answers) -> Finding | None:
    """The weekdays-or-weekends x two-hour band where a queue's abandonment rate is most clearly above the rest of
    the period's."""
    bands = [band for band in _abandonment_bands(a) if band.clearly_worse()]
    if not bands:
        return None
    b = max(bands, key=lambda band: band.z)
    name = next(q["name"] for q in a.queues["queues"] if q["zone"] == b.zone)
    when = f"{b.hours} {b.days}"
    return Finding(
        key="queue_abandonment_band",
        importance=_importance(60, (b.rate / b.rest_rate if b.rest_rate else 4) - ABANDONMENT_RATIO, 12),
        title=f"Queue abandonment at {name} is {_percent(b.rate)} % {when}, against {_percent(b.rest_rate)} % at "
        "other times",
        numbers=(
            Number(f"abandoned {when}", _percent(b.rate), "%"),
            Number("abandoned at other times", _percent(b.rest_rate), "%"),
            Number(f"people who left the queue {when}", b.abandoned, "people"),
        ),
        basis=f"{b.abandoned} of {b.outcomes} queue outcomes abandoned {when}, {b.rest_abandoned} of "
        f"{b.rest_outcomes} at other times ({_days(a.period)})",
        recommendation=f"Open a second checkout (or call staff to the tills) {b.days} from "
        f"{b.hours.replace('-', ' to ')}.",
    )


TARGET_P90_WAIT_SECONDS = 300
MIN_WAITS = 30


def queue_wait(a: Answers) -> Finding | None:
    """A queue whose 90th-percentile wait is above the target."""
    slow = [q for q in a.queues["queues"] if q["served"] + q["abandoned"] >= MIN_WAITS
            and (q["wait_p90_seconds"] or 0) > TARGET_P90_WAIT_SECONDS]  # fmt: skip
    if not slow:
        return None
    q = max(slow, key=lambda q: q["wait_p90_seconds"])
    p90, median = q["wait_p90_seconds"] / 60, (q["wait_median_seconds"] or 0) / 60
    busiest = max(q["by_hour"], key=lambda h: h["joined"])["hour"]
    target = TARGET_P90_WAIT_SECONDS // 60
    return Finding(
        key="queue_wait",
        importance=_importance(55, q["wait_p90_seconds"] / TARGET_P90_WAIT_SECONDS - 1, 20),
        title=f"1 in 10 customers at {q['name']} waits more than {_rounded(p90)} minutes",
        numbers=(
            Number("90th-percentile wait", _rounded(p90), "min"),
            Number("median wait", _rounded(median), "min"),
            Number("target", target, "min"),
        ),
        basis=f"{q['served'] + q['abandoned']} waits at {q['name']} ({_days(a.period)}); target: 9 in 10 within "
        f"{target} minutes",
        recommendation=f"Add a till or a queue-buster from {busiest:02d}:00, the hour most people join the queue, "
        f"to serve 9 in 10 within {target} minutes.",
    )


MIN_ZONE_STAYS = 100  # over all area zones
ZONE_IMBALANCE = 2.5  # share of dwell against share of stays


def _area_zones(a: Answers) -> list[dict] | None:
    """Area zones with stays, each with its share of all area-zone stays and of their dwell; None when too few."""
    zones = [z for z in a.zones["zones"] if z["kind"] == Zone.Kind.AREA and z["visits"]]
    stays, dwell = sum(z["visits"] for z in zones), sum(z["total_dwell_seconds"] for z in zones)
    if len(zones) < 2 or stays < MIN_ZONE_STAYS or not dwell:
        return None
    return [{**z, "stay_share": z["visits"] / stays, "dwell_share": z["total_dwell_seconds"] / dwell} for z in zones]


MIN_PASS_THROUGH_STAYS, MIN_PASS_THROUGH_SHARE = 30, 0.2


def zone_pass_through(a: Answers) -> Finding | None:
    """A zone many visitors enter but few stay in: a large share of zone stays, a small share of zone dwell."""
    zones = _area_zones(a) or []
    candidates = [z for z in zones if z["visits"] >= MIN_PASS_THROUGH_STAYS and z["stay_share"] >= MIN_PASS_THROUGH_SHARE
                  and z["dwell_share"] * ZONE_IMBALANCE <= z["stay_share"]]  # fmt: skip
    if not candidates:
        return None
    z = max(candidates, key=lambda z: z["stay_share"] / max(z["dwell_share"], 1e-6))
    visitors_share = _percent(z["share_of_visitors"] or 0)
    return Finding(
        key="zone_pass_through",
        importance=_importance(35, z["stay_share"] / max(z["dwell_share"], 0.01) - ZONE_IMBALANCE, 4, cap=20),
        title=f"{z['name']} draws {visitors_share} % of visitors but holds only {_percent(z['dwell_share'])} % of the "
        "time spent in zones",
        numbers=(
            Number("share of visitors", visitors_share, "%"),
            Number("share of zone stays", _percent(z["stay_share"]), "%"),
            Number("share of time in zones", _percent(z["dwell_share"]), "%"),
            Number("median stay", round(z["dwell_median_seconds"] or 0), "s"),
        ),
        basis=f"{z['visits']} stays in {z['name']} among {len(zones)} area zones ({_days(a.period)})",
        recommendation=f"People pass through {z['name']} without stopping: give them a reason to stay (a display, an "
        "offer, a member of staff) or use it for impulse items.",
    )


MIN_HIDDEN_GEM_STAYS, MAX_HIDDEN_GEM_SHARE = 10, 0.15


def zone_hidden_gem(a: Answers) -> Finding | None:
    """A zone few visitors find but where those who do stay long: a small share of stays, a large share of dwell."""
    zones = _area_zones(a) or []
    candidates = [z for z in zones if z["visits"] >= MIN_HIDDEN_GEM_STAYS and z["stay_share"] <= MAX_HIDDEN_GEM_SHARE
                  and z["dwell_share"] >= ZONE_IMBALANCE * z["stay_share"]]  # fmt: skip
    if not candidates:
        return None
    z = max(candidates, key=lambda z: z["dwell_share"] / z["stay_share"])
    return Finding(
        key="zone_hidden_gem",
        importance=_importance(35, z["dwell_share"] / z["stay_share"] - ZONE_IMBALANCE, 4, cap=20),
        title=f"Few visitors find {z['name']} ({_percent(z['stay_share'])} % of zone stays), but it holds "
        f"{_percent(z['dwell_share'])} % of the time spent in zones",
        numbers=(
            Number("share of zone stays", _percent(z["stay_share"]), "%"),
            Number("share of time in zones", _percent(z["dwell_share"]), "%"),
            Number("median stay", round(z["dwell_median_seconds"] or 0), "s"),
        ),
        basis=f"{z['visits']} stays in {z['name']} among {len(zones)} area zones ({_days(a.period)})",
        recommendation=f"Lead more people to {z['name']}: signs, a place nearer the entrance or on the main path, a "
        "spot in the window.",
    )


MIN_FUNNEL_ENTERED, MIN_FUNNEL_STEP = 100, 50
FUNNEL_LOSS = 0.5  # a step that keeps less than this share is worth a finding
FUNNEL_STEPS = {
    ("entered", "browsed"): ("{lost} % of visitors leave without stopping in any zone",
                             "Bring a strong offer or display closer to the entrance, where people turn back."),
    ("browsed", "queued"): ("{lost} % of visitors who browse never queue at the tills",
                            "Check prices, stock and help on the floor in the zones people browse."),
    ("queued", "purchased"): ("Only {kept} of every 100 people who queue buy",
                              "Check what stops people at the till: waiting time, payment options, queue abandonment."),
}  # fmt: skip


def funnel_drop(a: Answers) -> Finding | None:
    """The funnel step that loses the most people, if it loses more than half. A step whose later stage counted
    nobody is skipped: no zone, queue or sales data there is not a drop."""
    stages = {s["stage"]: s["count"] for s in a.funnel["stages"]}
    if stages["entered"] < MIN_FUNNEL_ENTERED:
        return None
    steps = [(stages[after] / stages[before], before, after) for before, after in FUNNEL_STEPS
             if stages[before] >= MIN_FUNNEL_STEP and stages[after]]  # fmt: skip
    if not steps:
        return None
    kept, before, after = min(steps)
    if kept >= FUNNEL_LOSS:
        return None
    title, recommendation = FUNNEL_STEPS[before, after]
    return Finding(
        key="funnel_drop",
        importance=_importance(30, FUNNEL_LOSS - kept, 40, cap=15),
        title=title.format(lost=_percent(1 - kept), kept=_percent(kept)),
        numbers=(
            Number(f"{before} to {after}", _percent(kept), "%"),
            Number(before, stages[before], "people"),
            Number(after, stages[after], "people"),
        ),
        basis=f"funnel stages nested by visit ({_days(a.period)}): each stage is people of the stage before",
        recommendation=recommendation,
    )


MIN_CONVERSION_VISITORS, MIN_CONVERSION_TRANSACTIONS = 200, 30
MIN_CONVERSION_CHANGE = 0.10  # relative


def conversion_change(a: Answers) -> Finding | None:
    """Transactions per visitor against the previous period, on days with footage only (a day without footage has
    sales but no visitors)."""
    if not covered(a.previous_daily):
        return None
    now, before = days_with_data(a.daily), days_with_data(a.previous_daily)
    (visits_now, sold_now), (visits_before, sold_before) = (
        (sum(d["visitors"] for d in days), sum(d["transactions"] for d in days)) for days in (now, before)
    )
    if min(visits_now, visits_before) < MIN_CONVERSION_VISITORS:
        return None
    if min(sold_now, sold_before) < MIN_CONVERSION_TRANSACTIONS or sold_now > visits_now or sold_before > visits_before:
        return None  # too few sales, or a till counting more than the cameras do
    rate_now, rate_before = sold_now / visits_now, sold_before / visits_before
    change = rate_now / rate_before - 1
    if abs(change) < MIN_CONVERSION_CHANGE or abs(_proportions_z(sold_now, visits_now, sold_before, visits_before)) < Z:
        return None
    up = change > 0
    return Finding(
        key="conversion_change",
        importance=_importance(45, abs(change), 60),
        title=f"Conversion {'up' if up else 'down'} from {_percent(rate_before)} % to {_percent(rate_now)} %",
        numbers=(
            Number("conversion", _percent(rate_now), "%"),
            Number("conversion before", _percent(rate_before), "%"),
            Number("transactions", sold_now, "transactions"),
            Number("visitors", visits_now, "visitors"),
        ),
        basis=f"transactions per visitor, {_days(a.period)} against {_days(a.previous)}, days with footage only",
        recommendation="More visitors buy: find what changed (an offer, the layout, staffing) and keep it."
        if up
        else "Fewer visitors buy: check stock of the best sellers, prices against competitors, and staff on the floor "
        "at busy hours.",
    )


MIN_RECOGNISED = 30
MIN_RETURNING_BEFORE = 5  # a venue that has just begun recognising faces has no returning visitors yet
MIN_RETURNING_CHANGE = 0.05  # percentage points, as a fraction


def returning_change(a: Answers) -> Finding | None:
    """The share of recognised visitors who had been here before, against the previous period."""
    now, before = a.returning["total"], a.previous_returning["total"]
    if min(now["recognised"], before["recognised"]) < MIN_RECOGNISED or before["returning"] < MIN_RETURNING_BEFORE:
        return None
    rate_now, rate_before = now["returning"] / now["recognised"], before["returning"] / before["recognised"]
    z = _proportions_z(now["returning"], now["recognised"], before["returning"], before["recognised"])
    if abs(rate_now - rate_before) < MIN_RETURNING_CHANGE or abs(z) < Z:
        return None
    up = rate_now > rate_before
    return Finding(
        key="returning_change",
        importance=_importance(35, abs(rate_now - rate_before), 100, cap=25),
        title=f"Returning visitors {'up' if up else 'down'} from {_percent(rate_before)} % to {_percent(rate_now)} % "
        "of recognised visitors",
        numbers=(
            Number("returning", _percent(rate_now), "%"),
            Number("returning before", _percent(rate_before), "%"),
            Number("recognised visitors", now["recognised"], "people"),
        ),
        basis=f"recognised visitors seen here before the period began, {_days(a.period)} against {_days(a.previous)}",
        recommendation="More people come back: keep what brings them (service, range, loyalty offers) and ask "
        "regulars what they value."
        if up
        else "Fewer people come back: reach regulars with a loyalty offer or newsletter, and check service and range "
        "against the previous period.",
    )


DEAD_HOUR_SHARE = 0.15  # of the average open hour's visitors
MIN_AVERAGE_OPEN_HOUR = 5  # visitors in an average open hour: below this every hour is quiet
MIN_OPEN_DAYS = 3  # days with footage on which the hour was open


def dead_hours(a: Answers) -> Finding | None:
    """Hours inside the opening hours with very few visitors (but some: an hour with nobody at all may be a camera
    that was off), per day the venue was open throughout that hour."""
    if not a.venue.opening_hours:
        return None
    data_days = [date.fromisoformat(d["date"]) for d in days_with_data(a.daily)]
    open_days = [0] * 24
    for weekday in range(7):
        days = [d for d in data_days if d.weekday() == weekday]
        for hour in range(24) if days else ():
            if open_minutes(a.venue, datetime.combine(days[0], time(hour))) == 60:
                open_days[hour] += len(days)
    by_hour = [h["visitors"] for h in a.hourly["hours"]]
    per_day = {h: by_hour[h] / open_days[h] for h in range(24) if open_days[h] >= MIN_OPEN_DAYS}
    if not per_day:
        return None
    average = sum(per_day.values()) / len(per_day)
    dead = [h for h, v in per_day.items() if 0 < v <= DEAD_HOUR_SHARE * average]
    if average < MIN_AVERAGE_OPEN_HOUR or not dead:
        return None
    runs: list[list[int]] = []
    for hour in dead:
        if runs and runs[-1][-1] == hour - 1:
            runs[-1].append(hour)
        else:
            runs.append([hour])
    run = max(runs, key=len)
    hours, visitors_per_hour = _band(run[0], len(run)), sum(per_day[h] for h in run) / len(run)
    if run[0] - 1 not in per_day:
        recommendation = (
            f"Consider opening at {run[-1] + 1:02d}:00, or run {hours} with a minimal team and use it for restocking."
        )
    elif run[-1] + 1 not in per_day:
        recommendation = f"Consider closing at {run[0]:02d}:00, or run {hours} with a minimal team."
    else:
        recommendation = f"Use {hours} for restocking, training and breaks, with a minimal team on the floor."
    return Finding(
        key="dead_hours",
        importance=_importance(30, len(run), 5, cap=15),
        title=f"Few visitors {hours}: {_rounded(visitors_per_hour)} an hour against {_rounded(average)} in an average open hour",
        numbers=(
            Number(f"visitors per hour {hours}", _rounded(visitors_per_hour), "visitors"),
            Number("visitors in an average open hour", _rounded(average), "visitors"),
        ),
        basis=f"per day the venue was open throughout the hour, {len(data_days)} days with footage ({_days(a.period)})",
        recommendation=recommendation,
    )


RULES: tuple[Callable[[Answers], Finding | None], ...] = (
    traffic_change, peak_hours, queue_abandonment_band, queue_wait, zone_pass_through, zone_hidden_gem, funnel_drop,
    conversion_change, returning_change, dead_hours,
)  # fmt: skip


def venue_summary(venue, period: Period) -> dict:
    """The few findings that matter over these local days, most important first (at most five): each with the
    numbers behind it, what they are compared with, and a plain recommendation. Changes compare with the previous
    period of the same length. When footage covers fewer than 3 days, or less than half the period, `status` is
    `not_enough_data` with the reason, and there are no findings. Rules and thresholds: docs/summary.md."""
    answers = Answers(venue, period)
    with_data = len(days_with_data(answers.daily))
    coverage = {**answers.daily["coverage"], "days_in_period": period.days, "days_with_data": with_data}
    answer = {
        "status": "ok", "reason": None, "time_zone": venue.time_zone, "first_day": period.first.isoformat(),
        "last_day": period.last.isoformat(), "previous_first_day": answers.previous.first.isoformat(),
        "previous_last_day": answers.previous.last.isoformat(), "findings": [], "coverage": coverage,
    }  # fmt: skip
    if not covered(answers.daily):
        answer["status"] = "not_enough_data"
        answer["reason"] = (
            f"Footage covers {with_data} of {period.days} days; findings need at least {MIN_DAYS_WITH_DATA} days with "
            "data, and at least half of the period."
        )
        return answer
    findings = [finding for rule in RULES if (finding := rule(answers))]
    findings.sort(key=lambda f: -f.importance)
    answer["findings"] = [asdict(f) for f in findings[:MAX_FINDINGS]]
    return answer
