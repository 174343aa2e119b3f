"""The Visitors pages: a venue's returning-visitor numbers above the list, and one visitor's history."""

import html
import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from core.models import Membership
from core.tenancy import tenant_scope
from reid import views
from reid.models import Visitor
from tests.conftest import FIRST_VISIT, PASSWORD, face_embedding, face_visit, web_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("visitors")]

DAY = timedelta(days=1)


def viewer_of(world) -> Client:
    viewer = get_user_model().objects.create_user(f"viewer-{world.tenant.slug}", password=PASSWORD)
    Membership.objects.create(user=viewer, tenant=world.tenant, role=Membership.Role.VIEWER)
    return web_client(viewer)


def same_face(world, seed: int):
    """Another look of the face of `with_visitor`'s visitor."""
    return face_embedding(seed, near=face_embedding(world.tenant.pk), distance=0.2)


def local(instant, pattern="%Y-%m-%d %H:%M") -> str:
    return instant.astimezone(ZoneInfo("Europe/Paris")).strftime(pattern)


def kpi(page, name: str) -> str:
    return re.search(rf'data-kpi="{name}">([^<]*)<', page.content.decode()).group(1)


def visit_rows(page) -> list[str]:
    """The history's visits, each as its cells' text."""
    body = page.content.decode().split('id="visits"')[1].split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))).strip() for row in rows]


def row_cells(page, attribute: str, value: str) -> list[str]:
    row = re.search(rf'<tr {attribute}="{value}">(.*?)</tr>', page.content.decode(), re.S).group(1)
    return [cell.strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]


def test_the_numbers_of_a_crafted_fortnight(world_a):
    """V (with_visitor's visitor) comes on day 0 and day 7; W is new on day 7; one visit on day 0 shows no
    face. In days 0-8: three people, two recognised, both new to the venue; V came back, W did not yet."""
    face_visit(world_a, 2, FIRST_VISIT + 2 * timedelta(hours=1), None)
    face_visit(world_a, 3, FIRST_VISIT + 7 * DAY, same_face(world_a, 3))
    face_visit(world_a, 4, FIRST_VISIT + 7 * DAY, face_embedding(99))
    period = {"venue": world_a.venue.pk, "from": FIRST_VISIT.date().isoformat(),
              "to": (FIRST_VISIT + 8 * DAY).date().isoformat()}  # fmt: skip
    page = web_client(world_a.owner).get(reverse("visitors-page"), period)
    assert page.status_code == 200
    numbers = {name: kpi(page, name) for name in ("visitors", "recognised", "new", "returning", "return_rate")}
    assert numbers == {"visitors": "3", "recognised": "2", "new": "2", "returning": "0", "return_rate": "50%"}
    assert kpi(page, "average_visit_days") == "1.5"

    canvas = re.search(r'<canvas data-chart="([^"]*)"', page.content.decode()).group(1)
    chart = json.loads(html.unescape(canvas))
    assert chart["type"] == "bar" and chart["options"]["scales"]["x"]["stacked"] is True
    assert chart["data"]["labels"] == [FIRST_VISIT.date().isoformat(), (FIRST_VISIT + 7 * DAY).date().isoformat()]
    series = {dataset["label"]: dataset["data"] for dataset in chart["data"]["datasets"]}
    assert series == {"New": [1, 1], "Returning": [0, 1], "Not recognised": [1, 0]}

    assert row_cells(page, "data-visit-days", "1")[:2] == ["1", "1"]  # W: one visit day
    assert row_cells(page, "data-visit-days", "2")[:2] == ["2", "1"]  # V: two
    assert row_cells(page, "data-tier", "new")[:3] == ["new", "1", "1"]  # W; tiers by the tenant's thresholds
    assert row_cells(page, "data-tier", "occasional")[:3] == ["occasional", "2-3", "1"]
    assert row_cells(page, "data-tier", "vip")[:3] == ["vip", "15+", "0"]


def test_the_list_filters_by_staff_and_venue_and_links_each_visitor(world_a):
    client = web_client(world_a.owner)
    link = reverse("visitor-page", args=[world_a.visitor.pk]).encode()
    assert link in client.get(reverse("visitors-page")).content
    assert link not in client.get(reverse("visitors-page"), {"staff": "true"}).content
    client.post(reverse("visitor-staff-form", args=[world_a.visitor.pk]), {"staff": "true"})
    assert link in client.get(reverse("visitors-page"), {"staff": "true"}).content
    assert link not in client.get(reverse("visitors-page"), {"staff": "false"}).content

    everywhere = client.get(reverse("visitors-page"), {"venue": "all"})
    assert link in everywhere.content and b"data-chart" not in everywhere.content  # numbers are per venue
    assert b"Choose a venue" in everywhere.content


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"staff": "maybe"}, "use true (staff) or false (customers)"),
        ({"venue": "flagship"}, "is not a venue"),
        ({"from": "2026-13-01"}, "is not a date like 2026-11-20"),
        ({"from": "2026-11-20", "to": "2026-11-01"}, "The first day is after the last day"),
    ],
)
def test_bad_filters_are_refused_in_plain_words(world_a, query, message):
    page = web_client(world_a.owner).get(reverse("visitors-page"), query)
    assert page.status_code == 400 and message in html.unescape(page.content.decode())


def test_another_tenants_venue_and_visitor_are_not_found(world_a, world_b):
    client = web_client(world_b.owner)
    assert client.get(reverse("visitors-page"), {"venue": world_a.venue.pk}).status_code == 404
    assert client.get(reverse("visitor-page", args=[world_a.visitor.pk])).status_code == 404


def test_a_visitors_history_shows_each_visit_with_its_zones(world_a, monkeypatch):
    second = FIRST_VISIT + 7 * DAY + timedelta(hours=3)
    face_visit(world_a, 2, second, same_face(world_a, 2), minutes=12)
    page = web_client(world_a.owner).get(reverse("visitor-page", args=[world_a.visitor.pk]))
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    assert f"Visitor #{world_a.visitor.pk}" in text
    assert re.search(r'data-fact="tier">occasional \(2 visit days in 90 days\)', text)
    assert re.search(r'data-fact="visits">2<', text) and re.search(r'data-fact="staff">no<', text)
    latest, first = visit_rows(page)
    assert latest.startswith(
        local(second, "%a %Y-%m-%d %H:%M") + "\N{EN DASH}" + local(second + timedelta(minutes=12), "%H:%M")
    )
    assert f"{world_a.venue.name} Entrance 720 s Front Front 720 s" in latest
    assert first.startswith(local(FIRST_VISIT, "%a %Y-%m-%d %H:%M")) and "300 s" in first

    monkeypatch.setattr(views, "VISITS_PER_PAGE", 1)
    paged = web_client(world_a.owner).get(reverse("visitor-page", args=[world_a.visitor.pk]), {"page": 2})
    assert "Page 2 of 2" in paged.content.decode()
    [only] = visit_rows(paged)
    assert only.startswith(local(FIRST_VISIT, "%a %Y-%m-%d %H:%M"))


def test_staff_and_erase_from_the_history_page(world_a):
    client = web_client(world_a.owner)
    url = reverse("visitor-page", args=[world_a.visitor.pk])
    assert b"Mark as staff</button>" in client.get(url).content
    response = client.post(reverse("visitor-staff-form", args=[world_a.visitor.pk]), {"staff": "true", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert re.search(r'data-fact="staff">yes, since', client.get(url).content.decode())
    elsewhere = client.post(
        reverse("visitor-staff-form", args=[world_a.visitor.pk]), {"staff": "false", "next": "https://evil.example/"}
    )
    assert elsewhere["Location"] == reverse("visitors-page")  # never off the site

    response = client.post(reverse("visitor-erase-form", args=[world_a.visitor.pk]), follow=True)
    assert response.redirect_chain == [(reverse("visitors-page"), 302)]
    assert f"Visitor {world_a.visitor.pk} erased" in response.content.decode()
    with tenant_scope(world_a.tenant):
        assert not Visitor.objects.filter(pk=world_a.visitor.pk).exists()
    assert client.get(url).status_code == 404


def test_viewers_see_the_history_without_the_buttons(world_a):
    as_viewer = viewer_of(world_a)
    page = as_viewer.get(reverse("visitor-page", args=[world_a.visitor.pk]))
    assert page.status_code == 200 and b"Erase</button>" not in page.content
    assert b"Mark as staff</button>" not in page.content
    as_viewer.post(reverse("visitor-staff-form", args=[world_a.visitor.pk]), {"staff": "true"})
    with tenant_scope(world_a.tenant):
        assert not Visitor.objects.get(pk=world_a.visitor.pk).staff
