"""Weekly trends: visitors per local week with week-over-week and year-over-year change (API and dashboard)."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from analytics.selectors import weekly
from core.tenancy import tenant_scope
from tests.conftest import key_client, session_client
from tests.test_alerts import people
from venues.models import Venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def weeks(world_a):
    """Weeks from Mondays 2 Nov (4 visitors, Tuesday), 9 Nov (5 on Tuesday, 1 on Friday) and 16 Nov 2026 (3 on
    Tuesday); a year before the 16 Nov week (52 weeks: Monday 17 Nov 2025), 2 on its Tuesday."""
    for day, count in [(date(2026, 11, 3), 4), (date(2026, 11, 10), 5), (date(2026, 11, 13), 1),
                       (date(2026, 11, 17), 3), (date(2025, 11, 18), 2)]:  # fmt: skip
        people(world_a, datetime(day.year, day.month, day.day, 10, tzinfo=UTC), count)
    return world_a


def url(world):
    return reverse("analytics-weekly", args=[world.venue.pk])


def test_each_week_against_the_week_before_and_a_year_earlier(weeks):
    answer = key_client(weeks.key).get(url(weeks), {"weeks": 3, "to": "2026-11-22"}).json()
    rows = {w["week_start"]: w for w in answer["weeks"]}
    assert list(rows) == ["2026-11-02", "2026-11-09", "2026-11-16"]
    assert [rows[d]["visitors"] for d in rows] == [4, 6, 3] and answer["visitors_counted_by"] == "entrance line"
    assert rows["2026-11-02"]["change_week_over_week"] is None  # the week before has no data
    assert rows["2026-11-09"]["change_week_over_week"] == 0.5 and rows["2026-11-16"]["change_week_over_week"] == -0.5
    assert rows["2026-11-09"]["year_ago"] is None and rows["2026-11-09"]["change_year_over_year"] is None
    assert (
        rows["2026-11-16"]["year_ago"]["week_start"] == "2025-11-17" and rows["2026-11-16"]["year_ago"]["visitors"] == 2
    )
    assert rows["2026-11-16"]["change_year_over_year"] == 0.5
    assert all(w["complete"] and w["days_compared"] == 7 for w in rows.values())
    assert answer["why_empty"] is None and answer["coverage"]["hours_with_data"] == 4


def test_a_week_under_way_is_compared_over_its_days_so_far(weeks):
    with tenant_scope(weeks.tenant):
        venue = Venue.objects.get(pk=weeks.venue.pk)
        [week] = weekly(venue, date(2026, 11, 17), 1, today=date(2026, 11, 17))["weeks"]
    assert week["complete"] is False and week["days_compared"] == 2
    assert week["visitors"] == 3 and week["change_week_over_week"] == -0.4  # against Mon-Tue of the week before: 5


@pytest.mark.parametrize(
    "params, field",
    [
        ({"weeks": 0}, "weeks"),
        ({"weeks": "many"}, "weeks"),
        ({"weeks": 105}, "weeks"),
        ({"to": "soon"}, "to"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(world_a, params, field):
    response = key_client(world_a.key).get(url(world_a), params)
    assert response.status_code == 400 and field in response.json(), response.content


def test_the_dashboard_panel_charts_the_weeks_and_says_why_when_empty(weeks, world_b):
    client = session_client(weeks.owner)
    panel = client.get(
        reverse("venue-panel", args=[weeks.venue.pk, "weekly"]), {"from": "2026-11-16", "to": "2026-11-22"}
    )
    html = panel.content.decode()
    assert "data-chart=" in html and "A year earlier" in html
    row = html[html.index('data-week="2026-11-16"') :].split("</tr>")[0]
    assert "-50%" in row and "+50%" in row and "(2)" in row
    assert 'data-week="2026-08-31"' not in html and html.count("data-week=") == 4  # the last four weeks listed

    empty = (
        session_client(world_b.owner).get(reverse("venue-panel", args=[world_b.venue.pk, "weekly"])).content.decode()
    )
    assert "No visitors in these weeks" in empty and "data-week=" not in empty
