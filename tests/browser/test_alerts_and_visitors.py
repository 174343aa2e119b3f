from datetime import timedelta

import pytest

from alerts.models import Alert, AlertRecipient, AlertRule
from alerts.services import alert_settings_of
from core.tenancy import tenant_scope
from tests.browser.conftest import log_in, screenshot
from tests.conftest import FIRST_VISIT, face_embedding, face_visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("visitors")]

DAY = timedelta(days=1)


def two_weeks_of_visitors(world) -> None:
    """Around `with_visitor`'s visitor (day 0): they come back on days 3, 7 and 9; three newcomers, one of whom
    returns; two visits without a usable face."""
    regular = face_embedding(world.tenant.pk)
    for track, (day, hour) in enumerate([(3, 2), (7, 5), (9, 1)], start=10):
        face_visit(world, track, FIRST_VISIT + day * DAY + timedelta(hours=hour),
                   face_embedding(track, near=regular, distance=0.2), minutes=8 + track)  # fmt: skip
    for track, day, person in [(20, 3, 1), (21, 7, 2), (22, 9, 2), (23, 9, 3)]:  # seeds apart from tenant ids
        face_visit(world, track, FIRST_VISIT + day * DAY + timedelta(hours=3), face_embedding(10_000 + person))
    for track, day in [(30, 0), (31, 7)]:
        face_visit(world, track, FIRST_VISIT + day * DAY + timedelta(hours=4), None)


def visitor_row(page, visitor):
    return page.locator("tr", has=page.locator(f"a[href='/visitors/{visitor.pk}/']"))


def show_the_fortnight(page) -> None:
    page.click("nav >> text=Visitors")
    page.fill("input[name=from]", FIRST_VISIT.date().isoformat())
    page.fill("input[name=to]", (FIRST_VISIT + 13 * DAY).date().isoformat())
    page.click("#visitor-filters button")
    page.wait_for_function("document.querySelector('canvas[data-chart]')?.chart !== undefined")


def test_acknowledge_an_alert_and_mark_a_visitor_as_staff(browser_page, world_a):
    two_weeks_of_visitors(world_a)
    page = browser_page
    log_in(page, world_a.owner)
    page.click("nav >> text=Alerts")
    page.select_option("select[name=state]", "open")
    page.click("form.filters button")
    row = page.locator("tr", has_text=world_a.alert.title)
    screenshot(page, "alerts")
    row.locator("button", has_text="Acknowledge").click()
    page.wait_for_load_state()
    with tenant_scope(world_a.tenant):
        assert Alert.objects.get(pk=world_a.alert.pk).state == Alert.State.ACKNOWLEDGED
    assert page.locator("tr", has_text=world_a.alert.title).count() == 0  # the open filter is kept

    show_the_fortnight(page)
    assert page.text_content("[data-kpi=visitors]") == "6"  # the regular, three newcomers, two without a face
    assert page.text_content("[data-kpi=return_rate]") == "50%"  # the regular and one newcomer came back
    screenshot(page, "visitors")
    visitor_row(page, world_a.visitor).locator("button", has_text="Mark as staff").click()
    assert visitor_row(page, world_a.visitor).locator(".tag", has_text="staff").is_visible()
    assert page.text_content("[data-kpi=visitors]") == "5"  # staff are out of the numbers; the period is kept


def test_open_a_visitors_history(browser_page, world_a):
    two_weeks_of_visitors(world_a)
    page = browser_page
    log_in(page, world_a.owner)
    show_the_fortnight(page)
    visitor_row(page, world_a.visitor).locator("a").click()
    page.wait_for_url(f"**/visitors/{world_a.visitor.pk}/")
    assert page.text_content("h1").strip() == f"Visitor #{world_a.visitor.pk}"
    assert page.text_content("[data-fact=visits]") == "4"
    assert page.locator("#visits tbody tr").count() == 4
    assert page.locator("#visits tbody tr").first.locator("td").nth(4).text_content() == "Front"  # the zone path
    screenshot(page, "visitor-history")


def test_change_alert_emails_and_add_a_recipient(browser_page, world_a):
    page = browser_page
    log_in(page, world_a.owner)
    page.click("nav >> text=Alerts")
    page.click("text=Alert emails, recipients and rules")
    page.select_option("select[name=digest]", "weekly")
    page.fill("input[name=digest_time]", "07:30")
    page.fill("input[name=time_zone]", "Europe/Berlin")
    page.click("#emails button")
    assert page.locator(".messages", has_text="Alert emails saved.").is_visible()

    page.fill("input[name=email]", "manager@example.com")
    page.uncheck("input[name=instant]")
    page.click("text=Add recipient")
    assert page.locator("tr[data-recipient='manager@example.com']").is_visible()

    with tenant_scope(world_a.tenant):
        crowding = AlertRule.objects.get(venue=world_a.venue, kind=AlertRule.Kind.CROWDING)
    rule_row = page.locator(f"tr[data-rule='{crowding.pk}']")
    rule_row.locator("input[name=max_occupancy]").fill("40")
    rule_row.locator("button", has_text="Save").click()
    assert page.locator(".messages", has_text="saved").is_visible()

    with tenant_scope(world_a.tenant):
        settings = alert_settings_of(world_a.tenant)
        added = AlertRecipient.objects.get(email="manager@example.com")
        crowding.refresh_from_db()
    assert (settings.digest, settings.digest_time.isoformat(), settings.time_zone) == (
        "weekly",
        "07:30:00",
        "Europe/Berlin",
    )
    assert (added.instant, added.digest) == (False, True)
    assert crowding.params == {"max_occupancy": 40} and crowding.enabled
    screenshot(page, "alert-settings")


def test_another_tenants_user_opens_none_of_it(browser_page, world_a, world_b):
    page = browser_page
    log_in(page, world_b.owner)
    for path in (f"/venues/{world_a.venue.pk}/", "/alerts/", "/visitors/", "/alerts/settings/", "/map/", "/videos/"):
        response = page.goto(path)
        assert world_a.venue.name not in page.content() and world_a.alert.title not in page.content()
        assert response.status in (200, 404)
    for path in (f"/venues/{world_a.venue.pk}/", f"/visitors/{world_a.visitor.pk}/", f"/venues/{world_a.venue.pk}/report/",
                 f"/cameras/{world_a.camera.pk}/setup/", f"/videos/{world_a.job.pk}/"):  # fmt: skip
        assert page.goto(path).status == 404, path
