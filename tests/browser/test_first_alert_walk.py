"""Issue 18's walk: a new user owning an empty tenant, in the browser alone, follows the checklist: a store (closed
in the hour of its footage), a camera, a recipient and the digest, a real clip, a counting line and a zone, sales; a
real worker processes the clip and checks its hour for alerts once stored, real beat sends the digest (and its
hourly check finds the alert stored already), and both emails land in the outbox."""

import time
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from core.models import Membership, Tenant
from tests.browser.conftest import log_in, screenshot
from tests.conftest import PASSWORD, celery_beat, outbox_messages
from tests.test_video_jobs import CAMPUS
from venues.validators import WEEKDAYS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZONE = "Europe/Paris"
RECIPIENT = "manager@walk.example.com"
WALK = timedelta(minutes=4)  # the walk up to the beat's check: the hour checked then must still be the clip's
PROCESSED = 150_000  # ms: the 2.8 s clip, the worker's start included, on a busy machine
EMAILED = 90  # s: beat's first run, the check, the emails


@pytest.fixture
def outbox(tmp_path, monkeypatch, settings):
    """The worker's and beat's emails go to files here (Django's file backend); uploads and snapshots go to a media
    folder of the test's own, shared by the server and the worker."""
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("MEDIA_ROOT", str(settings.MEDIA_ROOT))
    monkeypatch.setenv("EMAIL_URL", f"filemail:///{tmp_path / 'outbox'}")  # django-environ drops the first /
    return tmp_path / "outbox"


@pytest.fixture
def worker(outbox, worker):
    """The conftest's worker (vision and default queues), started with the outbox's environment."""
    return worker


def _clip_hour() -> datetime:
    """The last complete local hour, once it stays so for the whole walk (waiting for the next hour if not)."""
    now = datetime.now(zoneinfo.ZoneInfo(ZONE))
    hour_end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if hour_end - now < WALK:
        time.sleep((hour_end - now).total_seconds() + 1)
        return hour_end - timedelta(hours=1)
    return hour_end - timedelta(hours=2)


def _text(message) -> str:
    return message.get_payload()[0].get_payload(decode=True).decode()


def test_a_new_user_sets_up_in_the_browser_and_gets_an_alert_email_and_a_digest(browser_page, worker, outbox, tmp_path):
    tenant = Tenant.objects.create(name="Walk Goods", slug="walk-goods")
    owner = get_user_model().objects.create_user("walker", password=PASSWORD)
    Membership.objects.create(user=owner, tenant=tenant, role=Membership.Role.OWNER)
    hour = _clip_hour()
    page = browser_page
    log_in(page, owner)
    expect(page.locator("#setup-checklist li.done")).to_have_count(0)

    # the store, open one hour that day which is not the clip's: people in the clip are seen while it is closed
    page.click("#setup-checklist >> text=Add a store")
    page.fill("#id_name", "Riverside")
    page.select_option("#id_time_zone", ZONE)
    page.fill(f"#id_hours_{WEEKDAYS[hour.weekday()]}", "03:00-04:00" if hour.hour < 3 else "00:00-01:00")
    page.click(".setup-form button[type=submit]")
    expect(page.locator("ul.messages")).to_have_text("Riverside added.")

    page.click("text=Add a camera")
    page.fill("#id_name", "Door")
    page.select_option("#id_role", "entrance")
    page.click(".setup-form button[type=submit]")
    expect(page.locator("ul.messages")).to_have_text("Camera Door added.")

    # the recipient (the checklist's third step), critical alerts emailed at once and a daily digest due since the
    # last quarter hour
    page.click("a.brand")
    page.click("#setup-checklist >> text=Add alert recipients")
    page.fill("input[name=email]", RECIPIENT)
    page.click("text=Add recipient")
    expect(page.locator(f"tr[data-recipient='{RECIPIENT}']")).to_contain_text("yes yes receives")
    now = datetime.now(zoneinfo.ZoneInfo(ZONE))
    page.select_option("select[name=instant_severity]", "critical")
    page.select_option("select[name=digest]", "daily")
    page.fill("input[name=digest_time]", f"{now:%H}:{now.minute // 15 * 15:02d}")
    page.click("#emails button")
    expect(page.locator("ul.messages")).to_have_text("Alert emails saved.")

    # the clip, recorded 20 minutes into that hour; processed by the worker while the page follows it
    page.click("a.brand")
    page.click("#setup-checklist >> text=Process footage")
    page.set_input_files("#job-files", str(CAMPUS))
    page.fill("#job-start", f"{hour + timedelta(minutes=20):%Y-%m-%dT%H:%M:%S}")
    page.click("#job-form button[type=submit]")
    expect(page.locator("#job-form-result")).to_have_text("1 job queued for Door.")
    row = page.locator("tr", has_text="TUD-Campus.mp4")
    try:
        expect(row.locator(".tag")).to_have_text("Succeeded", timeout=PROCESSED)
    except AssertionError as error:
        raise AssertionError(f"Not processed; the worker's log:\n{worker.log.read_text()[-3000:]}") from error
    assert int(row.locator("td").nth(5).inner_text()) >= 5  # visits found

    # a counting line and a zone, on the picture the clip left
    page.click("a.brand")
    page.click("#setup-checklist >> text=Draw zones and counting lines")
    page.wait_for_function("document.getElementById('snapshot')?.complete")
    box = page.locator("#drawing").bounding_box()

    def at(x, y):
        return box["x"] + x * box["width"], box["y"] + y * box["height"]

    page.click("#draw-line")
    page.mouse.click(*at(0.5, 0.1))
    page.mouse.click(*at(0.5, 0.9))
    page.fill("#shape-name", "Gate")
    page.click("#editor button[type=submit]")
    expect(page.locator("#status")).to_have_text("Saved line “Gate”.")
    page.click("#draw-zone")
    corners = [(0.1, 0.3), (0.4, 0.3), (0.4, 0.9), (0.1, 0.9)]
    for corner in [*corners, corners[0]]:
        page.mouse.click(*at(*corner))
    page.fill("#shape-name", "Front")
    page.click("#editor button[type=submit]")
    expect(page.locator("#status")).to_have_text("Saved zone “Front”.")

    page.click("a.brand")
    page.click("#setup-checklist >> text=Upload sales")
    day = hour.date().isoformat()
    csv = f"id,at,amount\nw1,{day}T{hour:%H}:25:00,12.50\nw2,{day}T{hour:%H}:40:00,3.00\n"
    page.set_input_files("input[name=file]", files=[{"name": "tills.csv", "mimeType": "text/csv",
                                                     "buffer": csv.encode()}])  # fmt: skip
    page.click("#sales-upload-form button")
    expect(page.locator("#sales-result")).to_contain_text("2 sales stored")

    page.click("a.brand")
    expect(page.locator("#setup-checklist")).to_have_count(0)  # every step done: Home shows the stores alone

    # the schedule, every entry every 2 s: the digest that is due, and the hourly check of the hour that ended
    (tmp_path / "beat").mkdir()
    with celery_beat(tmp_path / "beat") as beat:
        deadline = time.monotonic() + EMAILED
        while time.monotonic() < deadline and len(outbox_messages(outbox)) < 2:
            time.sleep(1)
        messages = outbox_messages(outbox)
        assert len(messages) == 2, ([m["Subject"] for m in messages], beat.log.read_text()[-3000:])
    digest_mail, alert_mail = sorted(messages, key=lambda m: m["Subject"].startswith("[Critical]"))
    assert alert_mail["Subject"] == "[Critical] Activity outside opening hours at Riverside"
    assert alert_mail["To"] == digest_mail["To"] == RECIPIENT
    assert f"seen {hour:%a %d %b %H:00}-{hour + timedelta(hours=1):%H:00}, while the venue is closed" in _text(
        alert_mail
    )
    assert digest_mail["Subject"] == f"Walk Goods: your stores, {now.date() - timedelta(days=1):%d %b}"
    assert "Riverside" in _text(digest_mail)

    page.click("nav >> text=Alerts")
    expect(page.locator("table tbody tr", has_text="Activity outside opening hours")).to_have_count(1)
    screenshot(page, "first-alert-walk-alerts")
