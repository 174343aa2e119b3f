"""Date ranges in a venue's local time, and what they look like as instants."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from venues.validators import SUPPORTED_YEARS

MAX_DAYS = 400  # the longest period a request may ask for


@dataclass(frozen=True)
class Period:
    """Whole local days, `first` to `last` inclusive, in the venue's time zone."""

    first: date
    last: date
    time_zone: str

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), zoneinfo.ZoneInfo(self.time_zone))

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), zoneinfo.ZoneInfo(self.time_zone))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def hours(self) -> int:
        """Clock hours in the period (23 or 25 on a day the clocks change). Same-zone aware datetimes
        subtract as wall times in Python, hence the conversion to UTC."""
        return round((self.end.astimezone(UTC) - self.start.astimezone(UTC)).total_seconds() / 3600)

    def shifted(self, days: int) -> Period:
        return Period(self.first + timedelta(days=days), self.last + timedelta(days=days), self.time_zone)

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(zoneinfo.ZoneInfo(self.time_zone))


class PeriodError(ValueError):
    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def period_parse(params, venue) -> Period:
    """The `from`/`to` local days of query parameters, checked: a bad date, a reversed or too long range is a
    PeriodError naming the parameter. Defaults: the 7 days to today at the venue."""
    errors, days = {}, {}
    for name in ("from", "to"):
        raw = params.get(name)
        if raw:
            try:
                days[name] = date.fromisoformat(raw)
            except ValueError:
                errors[name] = f"{raw!r} is not a date like 2026-11-20."
            else:
                if (
                    not SUPPORTED_YEARS[0] <= days[name].year <= SUPPORTED_YEARS[1]
                ):  # also keeps the period's instants representable
                    errors[name] = f"{raw!r} is not in the years {SUPPORTED_YEARS[0]}-{SUPPORTED_YEARS[1]}."
    if errors:
        raise PeriodError(errors)
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(venue.time_zone)).date()
    last = days.get("to", today)
    first = days.get("from", last - timedelta(days=6))
    if first > last:
        raise PeriodError({"from": "The first day is after the last day."})
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError({"from": f"At most {MAX_DAYS} days at a time."})
    return Period(first, last, venue.time_zone)
