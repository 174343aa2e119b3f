"""Point-of-sale transactions in: each row checked on its own, stored once per POS id, rollups kept in step.

A sale's `key` is `pos:<venue id>:<transaction id>` (stores of one tenant may number receipts alike), unique
per tenant, so posting the same transactions again stores nothing twice. A row that cannot be stored is reported with its row number and field; the others are stored.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from ingest.models import Sale
from ingest.rollups import hours_refresh
from ingest.services import venue_local

SALES_BATCH_MAX = 5_000
_KEY = "pos:{venue}:{pos_id}"

_ID_MAX_LENGTH = Sale._meta.get_field("key").max_length - len(_KEY.format(venue=2**63, pos_id=""))
_BASKET_ID_MAX_LENGTH = Sale._meta.get_field("basket_id").max_length
_AMOUNT_MAX = Decimal("9999999999.99")  # the column holds 12 digits, 2 of them decimals
_CENT = Decimal("0.01")
_ITEMS_MAX = 2**31 - 1  # the column's range
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_CLOCK_SKEW = timedelta(days=1)  # a till's clock or time zone may be off; further ahead is not a real sale

_INSERT = """
INSERT INTO ingest_sale (tenant_id, venue_id, key, at, amount, items, basket_id)
SELECT %(tenant)s, %(venue)s, sale.*
FROM unnest(%(keys)s::text[], %(times)s::timestamptz[], %(amounts)s::numeric[], %(items)s::integer[],
            %(baskets)s::text[]) AS sale
ON CONFLICT (tenant_id, key) DO NOTHING
RETURNING at
"""


@dataclass(frozen=True)
class SalesResult:
    accepted: int  # stored now
    duplicates: int  # their POS id was already stored (or repeated in the batch): left as they were
    rejected: list[dict]  # one {"row", "id", "field", "message"} per row that could not be stored


class _CheckedSale(NamedTuple):
    key: str
    at: datetime
    amount: Decimal
    items: int
    basket_id: str


class _BadField(ValueError):
    """A row's field that cannot be stored, and why."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field


def sales_record(venue, rows: Sequence, *, row_numbers: Sequence[int] | None = None) -> SalesResult:
    """Store a batch of sales of one venue: `{"id", "at", "amount", "items"?, "basket_id"?}` each, a time
    without zone being the venue's local time. `row_numbers` name the rows in rejections (default 1, 2, ...)."""
    if len(rows) > SALES_BATCH_MAX:
        raise ValidationError(
            {"sales": f"{len(rows)} sales in one batch; the limit is {SALES_BATCH_MAX}: send them in several."}
        )
    checked, rejected = [], []
    for number, row in zip(row_numbers if row_numbers is not None else range(1, len(rows) + 1), rows, strict=True):
        try:
            checked.append(_sale_checked(row, venue))
        except _BadField as bad:
            rejected.append({"row": number, "id": _given_id(row), "field": bad.field, "message": str(bad)})
    stored_times = _sales_insert(venue, checked)
    return SalesResult(accepted=len(stored_times), duplicates=len(checked) - len(stored_times), rejected=rejected)


def _sales_insert(venue, sales: list[_CheckedSale]) -> list[datetime]:
    """Insert the sales whose key is new and recompute their hours' rollups; return the times inserted."""
    if not sales:
        return []
    params = {
        "tenant": venue.tenant_id, "venue": venue.pk, "keys": [sale.key for sale in sales],
        "times": [sale.at for sale in sales], "amounts": [sale.amount for sale in sales],
        "items": [sale.items for sale in sales], "baskets": [sale.basket_id for sale in sales],
    }  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_INSERT, params)
        stored_times = [at for (at,) in cursor.fetchall()]
        hours_refresh(venue, stored_times)
    return stored_times


def pos_id(sale: Sale) -> str:
    """The POS's own transaction id of a stored sale."""
    return sale.key.split(":", 2)[2]


def _sale_checked(row, venue) -> _CheckedSale:
    if not isinstance(row, dict):
        raise _BadField(None, f"Expected an object with id, at and amount, got {type(row).__name__}.")
    return _CheckedSale(
        key=_KEY.format(
            venue=venue.pk, pos_id=_text(row, "id", _ID_MAX_LENGTH, missing="Required: the POS transaction id.")
        ),
        at=_sale_time(row, venue),
        amount=_amount(row),
        items=_items(row),
        basket_id=_text(row, "basket_id", _BASKET_ID_MAX_LENGTH) or "",
    )


def _value(row: dict, name: str):
    """The row's value for `name`, stripped if a string; None when missing or blank."""
    value = row.get(name)
    if isinstance(value, str):
        value = value.strip()
    return None if value is None or value == "" else value


def _given_id(row) -> str | None:
    value = _value(row, "id") if isinstance(row, dict) else None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def _text(row: dict, name: str, max_length: int, missing: str | None = None) -> str | None:
    value = _value(row, name)
    if value is None:
        if missing:
            raise _BadField(name, missing)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _BadField(name, f"Expected a string, got {value!r}.")
    text = str(value)
    if len(text) > max_length:
        raise _BadField(name, f"At most {max_length} characters, got {len(text)}.")
    if "\x00" in text:
        raise _BadField(name, "Contains a NUL character.")
    return text


def _sale_time(row: dict, venue) -> datetime:
    value = _value(row, "at")
    if value is None:
        raise _BadField("at", "Required: when the sale happened, e.g. 2025-01-15T10:30:00.")
    if not isinstance(value, str):
        raise _BadField("at", f"Expected an ISO 8601 date and time as a string, got {value!r}.")
    example = "e.g. 2025-01-15T10:30:00 (the venue's local time) or 2025-01-15T10:30:00+01:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _BadField("at", f"{value!r} is not an ISO 8601 date and time, {example}.") from None
    if not any(separator in value for separator in "Tt "):
        raise _BadField("at", f"{value!r} has no time of day, {example}.")
    at = venue_local(parsed, venue)
    if at < _EARLIEST:
        raise _BadField("at", f"{value!r} is before {_EARLIEST.year}: not a plausible sale time.")
    if at > timezone.now() + _CLOCK_SKEW:
        raise _BadField("at", f"{value!r} is in the future.")
    return at


def _amount(row: dict) -> Decimal:
    value = _value(row, "amount")
    if value is None:
        raise _BadField("amount", "Required: the amount paid, e.g. 12.50.")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _BadField("amount", f"Expected a number, got {value!r}.")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        hint = " Use a point as the decimal separator, e.g. 12.50." if "," in str(value) else ""
        raise _BadField("amount", f"{value!r} is not a number.{hint}") from None
    if not amount.is_finite():
        raise _BadField("amount", f"{value!r} is not a finite number.")
    if amount < 0:
        raise _BadField("amount", f"{value!r} is negative; a sale's amount is 0 or more.")
    if amount > _AMOUNT_MAX:
        raise _BadField("amount", f"{value!r} is larger than the maximum, {_AMOUNT_MAX}.")
    if amount != amount.quantize(_CENT):
        raise _BadField("amount", f"{value!r} has more than 2 decimals.")
    return amount


def _items(row: dict) -> int:
    value = _value(row, "items")
    if value is None:
        return 1
    given = value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _BadField("items", f"Expected a whole number of items, got {given!r}.")
    if not 1 <= value <= _ITEMS_MAX:
        raise _BadField("items", f"{value} is out of range: a sale has 1 to {_ITEMS_MAX} items.")
    return value
