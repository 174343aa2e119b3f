"""Opening hours: is a venue open at a local moment, and for how many minutes of a local hour."""

from datetime import datetime, timedelta

from venues.validators import WEEKDAYS


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def open_at(venue, local: datetime) -> bool:
    """Whether the venue is open at this local time; an interval closing before it opens runs past midnight
    and belongs to the day it opens."""
    minute = local.hour * 60 + local.minute
    today, yesterday = WEEKDAYS[local.weekday()], WEEKDAYS[(local.weekday() - 1) % 7]
    for interval in venue.opening_hours.get(today, []):
        opens, closes = map(_minutes, interval.split("-"))
        if opens <= minute < closes if opens < closes else minute >= opens:
            return True
    for interval in venue.opening_hours.get(yesterday, []):
        opens, closes = map(_minutes, interval.split("-"))
        if closes < opens and minute < closes:
            return True
    return False


def open_minutes(venue, local_hour_start: datetime) -> int | None:
    """Open minutes in the local hour starting then; None when the venue has no opening hours set."""
    if not venue.opening_hours:
        return None
    return sum(open_at(venue, local_hour_start + timedelta(minutes=m)) for m in range(60))
