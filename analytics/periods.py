"""Date ranges in a venue's local time, and what they look like as instants."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta


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
