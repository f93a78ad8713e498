"""What a refund does to supplier orders, exchange-rate conversion and its rounding, and what a
cancel request says (JSON event, CSV action), without a database."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.fulfilment import (
    Forwardable,
    check_resend,
    csv_rows,
    order_payload,
    refund_stops,
    to_csv,
)
from evergreen.commerce.rules.shipping import check_rate, convert_cents, missing_rate

ROWS = [
    Forwardable(1, "new", False, 1500),
    Forwardable(2, "sent", False, 2000),
    Forwardable(3, "shipped", False, 1000),
    Forwardable(4, "failed", False, 500),
]


def test_a_full_refund_cancels_unsent_asks_for_sent_and_keeps_shipped() -> None:
    assert refund_stops(True, 5000, ROWS) == {
        1: "cancelled",
        2: "cancel_requested",
        3: "shipped",
        4: "cancelled",
    }


@pytest.mark.parametrize(
    ("refunded", "stopped"),
    [
        (1499, {}),  # part of the first line: the goods are still owed
        (1500, {1: "cancelled"}),
        (3499, {1: "cancelled"}),
        (3500, {1: "cancelled", 2: "cancel_requested"}),
    ],
)
def test_a_partial_refund_stops_the_supplier_orders_it_covers_whole(
    refunded: int, stopped: dict[int, str]
) -> None:
    assert refund_stops(False, refunded, ROWS) == stopped


def test_a_row_stopped_by_an_earlier_refund_or_already_cancelled_is_left_alone() -> None:
    rows = [Forwardable(1, "cancel_requested", True, 1500), Forwardable(2, "cancelled", True, 10)]
    assert refund_stops(True, 1510, rows) == {}
    assert refund_stops(True, 1510, [Forwardable(5, "shipped", True, 1)]) == {}


def test_resend_sends_the_order_or_the_cancel_request_never_a_shipped_one() -> None:
    assert [check_resend(s) for s in ("new", "sent", "failed")] == ["order"] * 3
    assert check_resend("cancel_requested") == "cancel"
    for status in ("shipped", "cancelled"):
        with pytest.raises(CommerceInputError, match=f"a {status} supplier order is not resent"):
            check_resend(status)


@pytest.mark.parametrize(
    ("cents", "rate", "converted"),
    [
        (1500, Decimal("1.0853"), 1628),  # 1627.95 → up
        (15, Decimal("1.1"), 17),  # 16.5: half up, not to even (16)
        (25, Decimal("0.5"), 13),  # 12.5: half up
        (1349, Decimal("0.01"), 13),  # 13.49 → down
        (0, Decimal("3"), 0),
    ],
)
def test_conversion_rounds_the_whole_line_once_half_up(
    cents: int, rate: Decimal, converted: int
) -> None:
    assert convert_cents(cents, rate) == converted


def test_a_rate_is_a_positive_number_with_at_most_eight_decimals() -> None:
    assert check_rate(" 1,0853 ") == Decimal("1.0853")
    for bad, message in (("0", "above 0"), ("-1", "above 0"), ("abc", "not a number"),
                         ("1.123456789", "8 decimals"), ("NaN", "above 0")):  # fmt: skip
        with pytest.raises(CommerceInputError, match=message):
            check_rate(bad)
    assert missing_rate("EUR", "EUR", {}) == ""
    assert missing_rate(None, "USD", {}) == ""
    assert missing_rate("EUR", "USD", {("EUR", "USD"): Decimal(1)}) == ""
    assert missing_rate("EUR", "USD", {("USD", "EUR"): Decimal(1)}) == (
        "no exchange rate from EUR to USD: set one on the suppliers page"
    )


def test_a_cancel_request_is_its_own_event_and_csv_action() -> None:
    lines = [{"sku": "MUG-01", "name": "Mug", "quantity": 2, "line": 7}]
    ship_to = {"name": "Bea", "city": "Berlin", "country": "DE"}
    body = json.loads(order_payload(3, "A1", lines, ship_to, "supplier_order.cancel_requested"))
    assert body["type"] == "supplier_order.cancel_requested"
    assert body["lines"] == [{"sku": "MUG-01", "name": "Mug", "quantity": 2}]  # no line ids
    text = to_csv(csv_rows(3, "A1", "MugCo", lines, ship_to, "cancel"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["sku"], r["quantity"], r["city"], r["action"]) for r in rows] == [
        ("MUG-01", "2", "Berlin", "cancel")
    ]
    created = list(csv.DictReader(io.StringIO(to_csv(csv_rows(3, "A1", "M", lines, ship_to)))))
    assert created[0]["action"] == "create"
    assert created[0]["country"] == "DE"
