from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.api_keys import api_key_create
from core.models import ApiKey, Membership
from core.tenancy import tenant_scope
from ingest.models import Sale, VenueHour
from ingest.sales import SALES_BATCH_MAX, pos_id
from tests.conftest import PASSWORD, key_client, session_client
from venues.models import Venue

pytestmark = pytest.mark.django_db


def sales_url(venue):
    return reverse("sales-list", kwargs={"venue_id": venue.pk})


def csv_url(venue):
    return reverse("sales-csv", kwargs={"venue_id": venue.pk})


def sale(pos_id, at="2025-01-15T10:00:00", amount="10.00", **more):
    return {"id": pos_id, "at": at, "amount": amount, **more}


def csv_file(content: bytes, name="sales.csv"):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def stored_sales(world):
    """The tenant's sales by POS id (stored keys are `pos:<venue>:<id>`)."""
    with tenant_scope(world.tenant):
        return {f"pos:{pos_id(s)}": s for s in Sale.objects.all() if s.venue_id == world.venue.pk}


def test_posting_the_same_sales_again_stores_nothing_twice(world_a):
    client = session_client(world_a.owner)
    batch = {"sales": [sale("T1"), sale("T2"), sale("T3")]}

    first = client.post(sales_url(world_a.venue), batch, format="json")
    assert first.status_code == 200, first.content
    assert first.json() == {"accepted": 3, "duplicates": 0, "rejected": []}

    again = client.post(sales_url(world_a.venue), batch, format="json")
    assert again.json() == {"accepted": 0, "duplicates": 3, "rejected": []}
    assert sorted(stored_sales(world_a)) == ["pos:T1", "pos:T2", "pos:T3"]

    repeated_in_batch = {"sales": [sale("T4"), sale("T4", amount="99.00")]}
    assert client.post(sales_url(world_a.venue), repeated_in_batch, format="json").json() == {
        "accepted": 1, "duplicates": 1, "rejected": [],
    }  # fmt: skip
    assert stored_sales(world_a)["pos:T4"].amount == Decimal("10.00")


def test_bad_rows_are_rejected_by_row_and_field_and_the_others_stored(world_a):
    rows = [
        sale("OK1"),
        sale("R2", amount="abc"),
        sale("R3", amount="-1"),
        sale("R4", amount="1.999"),
        {"at": "2025-01-15T10:00:00", "amount": "5.00"},
        sale("R6", at="15/01/2025 10:00"),
        sale("R7", items=0),
        sale("OK8", amount=4.5, items="2", basket_id="B-8"),
        "not a sale",
    ]
    response = key_client(world_a.key).post(sales_url(world_a.venue), {"sales": rows}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (2, 0)
    assert [(r["row"], r["id"], r["field"]) for r in body["rejected"]] == [
        (2, "R2", "amount"),
        (3, "R3", "amount"),
        (4, "R4", "amount"),
        (5, None, "id"),
        (6, "R6", "at"),
        (7, "R7", "items"),
        (9, None, None),
    ]
    messages = {r["row"]: r["message"] for r in body["rejected"]}
    assert "not a number" in messages[2]
    assert "negative" in messages[3]
    assert "more than 2 decimals" in messages[4]
    assert "Required" in messages[5]
    assert "not an ISO 8601" in messages[6]
    assert "out of range" in messages[7]
    stored = stored_sales(world_a)
    assert sorted(stored) == ["pos:OK1", "pos:OK8"]
    assert (stored["pos:OK8"].amount, stored["pos:OK8"].items, stored["pos:OK8"].basket_id) == (
        Decimal("4.50"), 2, "B-8",
    )  # fmt: skip


def test_a_time_without_offset_is_the_venues_local_time(world_a):
    client = session_client(world_a.owner)
    rows = [sale("LOCAL", at="2025-01-15T10:00:00"), sale("UTC", at="2025-01-15T10:00:00Z")]
    assert client.post(sales_url(world_a.venue), {"sales": rows}, format="json").json()["accepted"] == 2

    stored = stored_sales(world_a)
    assert stored["pos:LOCAL"].at == datetime(2025, 1, 15, 9, 0, tzinfo=UTC)  # Paris is UTC+1 in winter
    assert stored["pos:UTC"].at == datetime(2025, 1, 15, 10, 0, tzinfo=UTC)
    listed = client.get(sales_url(world_a.venue)).json()["results"]
    assert [(s["id"], s["at"]) for s in listed] == [
        ("LOCAL", "2025-01-15T10:00:00+01:00"),
        ("UTC", "2025-01-15T11:00:00+01:00"),
    ]


def test_the_list_is_filtered_by_local_time_and_paginated(world_a):
    client = session_client(world_a.owner)
    rows = [sale(f"H{hour}", at=f"2025-01-15T{hour:02}:30:00", amount="1.50", basket_id="b") for hour in (9, 10, 11)]
    client.post(sales_url(world_a.venue), {"sales": rows}, format="json")

    response = client.get(sales_url(world_a.venue), {"from": "2025-01-15T10:00", "to": "2025-01-15T11:00"})
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response.json()["results"] == [
        {"id": "H10", "at": "2025-01-15T10:30:00+01:00", "amount": "1.50", "items": 1, "basket_id": "b"}
    ]
    bad = client.get(sales_url(world_a.venue), {"from": "yesterday"})
    assert bad.status_code == 400 and "from" in bad.json()


def test_a_semicolon_csv_is_stored_and_its_bad_rows_named_by_line(world_a):
    content = (
        "\ufeffID;At;Amount;Items;Basket_ID;Till\n"
        "C1;2025-01-15T10:05:00;12.50;2;B1;3\n"
        "C2;2025-01-15T10:20:00;7.00;;;3\n"
        "C3;2025-01-15T10:30:00;12,50;1;;4\n"
        "\n"
        "C4;2025-01-15T10:40:00;3.00;1;;4\n"
    ).encode()
    response = key_client(world_a.key).post(csv_url(world_a.venue), {"file": csv_file(content)}, format="multipart")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (3, 0)
    assert [(r["row"], r["id"], r["field"]) for r in body["rejected"]] == [(4, "C3", "amount")]
    assert "decimal separator" in body["rejected"][0]["message"]
    stored = stored_sales(world_a)
    assert (stored["pos:C1"].amount, stored["pos:C1"].items, stored["pos:C1"].basket_id) == (Decimal("12.50"), 2, "B1")
    assert (stored["pos:C2"].items, stored["pos:C2"].basket_id) == (1, "")
    assert stored["pos:C1"].at == datetime(2025, 1, 15, 9, 5, tzinfo=UTC)


def test_a_csv_without_a_required_column_is_refused(world_a):
    content = b"id,when,total\nC1,2025-01-15T10:05:00,12.50\n"
    response = session_client(world_a.owner).post(
        csv_url(world_a.venue), {"file": csv_file(content)}, format="multipart"
    )
    assert response.status_code == 400
    message = response.json()["file"][0]
    assert "lacks the column(s) at, amount" in message
    assert stored_sales(world_a) == {}


def test_a_csv_that_is_not_utf8_is_refused(world_a):
    content = "id,at,amount,basket_id\nC1,2025-01-15T10:05:00,12.50,caf\u00e9\n".encode("latin-1")
    response = session_client(world_a.owner).post(
        csv_url(world_a.venue), {"file": csv_file(content)}, format="multipart"
    )
    assert response.status_code == 400
    assert "not UTF-8 text" in response.json()["file"][0]
    assert stored_sales(world_a) == {}


def test_a_csv_request_without_a_file_is_refused(world_a):
    response = session_client(world_a.owner).post(csv_url(world_a.venue), {}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()


def test_a_batch_over_the_limit_is_refused_whole(world_a):
    rows = [sale(f"T{n}") for n in range(SALES_BATCH_MAX + 1)]
    response = session_client(world_a.owner).post(sales_url(world_a.venue), {"sales": rows}, format="json")
    assert response.status_code == 400
    assert f"the limit is {SALES_BATCH_MAX}" in response.json()["sales"][0]
    assert stored_sales(world_a) == {}


@pytest.mark.parametrize("body", [{"sales": "T1"}, [sale("T1")], {}])
def test_a_body_without_a_list_of_sales_is_refused(world_a, body):
    response = session_client(world_a.owner).post(sales_url(world_a.venue), body, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("as_key", [False, True], ids=["session", "api key"])
def test_another_tenants_venue_is_not_found(world_a, world_b, as_key):
    client = key_client(world_b.key) if as_key else session_client(world_b.owner)
    assert client.get(sales_url(world_a.venue)).status_code == 404
    assert client.post(sales_url(world_a.venue), {"sales": [sale("X1")]}, format="json").status_code == 404
    content = b"id,at,amount\nX2,2025-01-15T10:05:00,1.00\n"
    assert client.post(csv_url(world_a.venue), {"file": csv_file(content)}, format="multipart").status_code == 404
    assert stored_sales(world_a) == {} and stored_sales(world_b) == {}


def test_a_venue_limited_key_reaches_only_its_venue(world_a):
    with tenant_scope(world_a.tenant):
        other_venue = Venue.objects.create(tenant=world_a.tenant, name="Alpha Outlet", time_zone="Europe/Paris")
    _, key = api_key_create(tenant=world_a.tenant, name="till", scope=ApiKey.Scope.FULL, venue=world_a.venue)
    client = key_client(key)

    assert client.post(sales_url(other_venue), {"sales": [sale("X1")]}, format="json").status_code == 404
    assert client.get(sales_url(other_venue)).status_code == 404
    assert client.post(sales_url(world_a.venue), {"sales": [sale("X1")]}, format="json").json()["accepted"] == 1


def test_viewers_read_sales_but_cannot_post_them(world_a):
    viewer = world_a.owner.__class__.objects.create_user(username="alpha-viewer", password=PASSWORD)
    Membership.objects.create(user=viewer, tenant=world_a.tenant, role=Membership.Role.VIEWER)
    client = session_client(viewer)

    assert client.post(sales_url(world_a.venue), {"sales": [sale("V1")]}, format="json").status_code == 403
    content = b"id,at,amount\nV2,2025-01-15T10:05:00,1.00\n"
    assert client.post(csv_url(world_a.venue), {"file": csv_file(content)}, format="multipart").status_code == 403
    assert client.get(sales_url(world_a.venue)).status_code == 200
    assert stored_sales(world_a) == {}


def test_sales_update_the_hourly_rollups(world_a):
    rows = [
        sale("S1", at="2025-01-15T10:00:00", amount="10.00", items=1),
        sale("S2", at="2025-01-15T10:30:00", amount="20.50", items=2),
        sale("S3", at="2025-01-15T10:59:59", amount="0.25", items=3),
        sale("S4", at="2025-01-15T11:00:00", amount="5.00", items=4),
    ]
    client = session_client(world_a.owner)
    client.post(sales_url(world_a.venue), {"sales": rows}, format="json")
    client.post(sales_url(world_a.venue), {"sales": rows[:1]}, format="json")  # a duplicate changes nothing

    with tenant_scope(world_a.tenant):
        hours = list(
            VenueHour.objects.filter(venue=world_a.venue)
            .order_by("hour_start")
            .values_list("hour_start", "transactions", "revenue", "items")
        )
    assert hours == [
        (datetime(2025, 1, 15, 9, tzinfo=UTC), 3, Decimal("30.75"), 6),
        (datetime(2025, 1, 15, 10, tzinfo=UTC), 1, Decimal("5.00"), 4),
    ]


def test_the_schema_documents_the_sales_endpoints(world_a):
    schema = session_client(world_a.owner).get(reverse("api-schema"), {"format": "json"}).json()
    batch = schema["paths"]["/api/v1/venues/{venue_id}/sales/"]["post"]
    assert batch["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/SalesBatchRequest")
    assert batch["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/SalesResult")
    upload = schema["paths"]["/api/v1/venues/{venue_id}/sales/csv/"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    rows = schema["components"]["schemas"]["SalesBatchRequest"]["properties"]["sales"]
    assert rows["items"]["$ref"].endswith("/SaleRowRequest")
    assert "PaginatedSaleList" in schema["components"]["schemas"]


def test_two_stores_of_a_tenant_may_number_receipts_alike(world_a):
    with tenant_scope(world_a.tenant):
        outlet = Venue.objects.create(tenant=world_a.tenant, name="Outlet", time_zone="Europe/Paris")
    client = session_client(world_a.owner)
    sale = {"id": "R-1", "at": "2026-11-20T10:00:00", "amount": "5.00"}
    for venue in (world_a.venue, outlet):
        assert client.post(sales_url(venue), {"sales": [sale]}, format="json").json()["accepted"] == 1
    with tenant_scope(world_a.tenant):
        assert Sale.objects.count() == 2
