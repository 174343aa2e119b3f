"""The demo store's footage lands in its most recent opening hours, so that Home and the map show it today."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from ingest.management.commands.demo_setup import demo_footage_start

STORE = SimpleNamespace(  # the demo store's hours: Monday to Saturday 09:00-20:00, Berlin (UTC+1 in December)
    time_zone="Europe/Berlin",
    opening_hours={day: ["09:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat")},
)


@pytest.mark.parametrize(
    ("now_utc", "start_local"),
    [
        ("2026-12-02T13:00", "2026-12-02T13:40"),  # Wednesday 14:00: twenty minutes ago, today
        ("2026-12-02T08:30", "2026-12-02T09:10"),  # 09:30: the store opened half an hour ago, today already
        ("2026-12-02T06:00", "2026-12-01T19:49"),  # 07:00: not open yet today, so Tuesday's last open minutes
        ("2026-12-06T11:00", "2026-12-05T19:49"),  # Sunday: closed all day, so Saturday's
    ],
)
def test_the_demo_footage_starts_in_the_latest_opening_hours(now_utc, start_local):
    start = demo_footage_start(STORE, datetime.fromisoformat(now_utc).replace(tzinfo=UTC))
    assert start.strftime("%Y-%m-%dT%H:%M") == start_local and start.utcoffset().total_seconds() == 3600
