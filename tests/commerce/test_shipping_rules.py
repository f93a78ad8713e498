"""Shipping and fulfilment rules without a database: zones, shipping in the cart's totals,
what a supplier is sent (JSON, CSV), tracking and supplier checks, intake links, due dates."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules import fulfilment as rules
from evergreen.commerce.rules.cart import CartItem, CartProduct, TaxTerms, price_cart
from evergreen.commerce.rules.shipping import check_address, line_shipping, zone_of

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
TABLE = {"DE": 450, "EU": 700, "US": 1500}


@pytest.mark.parametrize(
    ("country", "table", "zone"),
    [
        ("DE", TABLE, "DE"),  # the country itself first
        ("FR", TABLE, "EU"),  # then EU for a member
        ("US", {**TABLE, "*": 2000}, "US"),
        ("CH", {**TABLE, "*": 2000}, "*"),  # not EU: the rest of the world
        ("FR", {"DE": 450, "*": 900}, "*"),  # EU member, no EU zone: "*"
    ],
)
def test_a_country_ships_in_its_own_zone_then_eu_then_anywhere(
    country: str, table: dict[str, int], zone: str
) -> None:
    assert zone_of(country, table) == zone


def test_no_zone_is_a_clear_refusal_naming_the_country() -> None:
    with pytest.raises(CommerceInputError) as refused:
        zone_of("CH", TABLE)
    assert (refused.value.field, refused.value.message) == ("country", "we do not ship to CH")


def test_line_shipping_is_per_unit_and_converted_only_with_a_rate() -> None:
    assert line_shipping("FR", TABLE, 3, "EUR", "EUR") == 2100
    assert line_shipping("JP", {}, 2, None, "USD") == 0  # no table: ships free
    assert line_shipping("DE", TABLE, 3, "EUR", "USD", Decimal("1.0853")) == 1465  # 1465.155
    with pytest.raises(CommerceInputError, match="no exchange rate from EUR to USD"):
        line_shipping("DE", TABLE, 1, "EUR", "USD")


def test_an_address_needs_name_line_city_and_a_country() -> None:
    ok = check_address(" Bea ", "Main St 1", "Berlin", "de", "", "10115", "be")
    assert (ok.name, ok.country, ok.region) == ("Bea", "DE", "BE")
    for bad, field in (
        (("", "x", "y", "DE"), "ship_name"),
        (("a", "", "y", "DE"), "line1"),
        (("a", "x", "", "DE"), "city"),
        (("a", "x", "y", ""), "ship_country"),
        (("a", "x", "y", "Germany"), "ship_country"),
    ):
        with pytest.raises(CommerceInputError) as refused:
            check_address(*bad)
        assert refused.value.field == field


MUG = CartProduct(1, "Mug", "physical", "active", {"EUR": 1200})
BOOK = CartProduct(2, "Book", "digital", "active", {"EUR": 900})


def test_shipping_is_added_to_its_line_and_taxed_with_it() -> None:
    cart = price_cart(
        [CartItem(MUG, "main", 2), CartItem(BOOK, "bump")], "EUR",
        tax=TaxTerms(percent=__import__("decimal").Decimal("10")), now=NOW, shipping={1: 900},
    )  # fmt: skip
    mug, book = cart.lines
    assert (mug.shipping, mug.total) == (900, (2400 + 900) * 110 // 100)
    assert (book.shipping, book.total) == (0, 990)
    assert (cart.subtotal, cart.shipping) == (3300, 900)
    assert cart.total == sum(line.total for line in cart.lines) == 3630 + 990


@given(
    quantity=st.integers(1, 100),
    per_unit=st.integers(0, 50_000),
    percent=st.integers(0, 100),
)
def test_totals_always_add_up_with_shipping(quantity: int, per_unit: int, percent: int) -> None:
    from decimal import Decimal

    cart = price_cart(
        [CartItem(MUG, "main", quantity), CartItem(BOOK, "bump")], "EUR",
        tax=TaxTerms(Decimal(percent)), now=NOW, shipping={1: per_unit * quantity},
    )  # fmt: skip
    assert cart.total == sum(line.total for line in cart.lines)
    assert cart.total == cart.subtotal - cart.discount + cart.shipping + cart.tax
    assert cart.shipping == per_unit * quantity


LINES = [{"sku": "MUG-01", "name": "Mug", "quantity": 2}]
SHIP_TO = {"name": "Bea", "line1": "Hauptstr. 1", "line2": "", "city": "Berlin",
           "postal_code": "10115", "region": "", "country": "DE"}  # fmt: skip


def test_the_webhook_payload_names_the_order_lines_and_address() -> None:
    body = json.loads(rules.order_payload(7, "ABC123", LINES, SHIP_TO))
    assert body == {"type": "supplier_order.created", "supplier_order": 7, "order": "ABC123",
                    "lines": LINES, "ship_to": SHIP_TO}  # fmt: skip


def test_the_csv_has_a_row_per_line_and_no_formulas() -> None:
    rows = rules.csv_rows(7, "ABC123", "MugCo", [*LINES, {**LINES[0], "sku": "=cmd()"}], SHIP_TO)
    text = rules.to_csv(rows)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert [r["sku"] for r in parsed] == ["MUG-01", "'=cmd()"]
    assert parsed[0]["city"] == "Berlin"
    assert parsed[0]["quantity"] == "2"


def test_supplier_settings_are_checked_per_method() -> None:
    assert rules.check_supplier("MugCo", "", "webhook", "https://x.example/h", "eur")[2:] == (
        "webhook",
        "https://x.example/h",
        "EUR",
    )
    with pytest.raises(CommerceInputError, match="email"):
        rules.check_supplier("MugCo", "", "email", "", "EUR")
    with pytest.raises(CommerceInputError) as refused:
        rules.check_supplier("MugCo", "", "webhook", "ftp://x", "EUR")
    assert refused.value.field == "webhook_url"
    with pytest.raises(CommerceInputError, match="email, webhook, csv"):
        rules.check_supplier("MugCo", "", "fax", "", "EUR")


def test_tracking_needs_a_number_and_carrier() -> None:
    assert rules.check_tracking(" 1Z99 ", "UPS") == ("1Z99", "UPS", "")
    with pytest.raises(CommerceInputError):
        rules.check_tracking("", "UPS")
    with pytest.raises(CommerceInputError):
        rules.check_tracking("1Z", "UPS", "javascript:alert(1)")


def test_the_intake_link_is_signed() -> None:
    token = rules.intake_token("secret", 42)
    assert rules.read_intake_token("secret", token) == 42
    for bad in (rules.intake_token("other", 42), token.replace("42.", "43."), "junk", ""):
        with pytest.raises(CommerceInputError):
            rules.read_intake_token("secret", bad)


def test_due_dates_and_overdue() -> None:
    assert rules.due_on(NOW, 7) == date(2026, 12, 12)
    assert rules.due_on(NOW, None) is None
    assert rules.is_overdue(date(2026, 12, 12), "in_progress", date(2026, 12, 13))
    assert not rules.is_overdue(date(2026, 12, 12), "delivered", date(2026, 12, 13))
    assert not rules.is_overdue(date(2026, 12, 12), "intake", date(2026, 12, 12))
    with pytest.raises(CommerceInputError):
        rules.check_delivery_days("0")


def test_questions_and_answers() -> None:
    assert rules.check_questions("Name?\n\n Colours? ") == ["Name?", "Colours?"]
    with pytest.raises(CommerceInputError, match="at most 20"):
        rules.check_questions([f"q{i}" for i in range(21)])
    assert rules.check_answers(["a?"], [" yes "]) == ["yes"]
    with pytest.raises(CommerceInputError, match="answer each"):
        rules.check_answers(["a?", "b?"], ["yes"])
    with pytest.raises(CommerceInputError):
        rules.check_answers(["a?"], [""])


def test_forwarding_retries_back_off_then_give_up() -> None:
    delays = [rules.retry_delay(n) for n in range(1, 9)]
    assert delays[0] == timedelta(minutes=1)
    waits = [d for d in delays if d is not None]
    assert len(waits) == 7
    assert waits == sorted(set(waits))
    assert delays[-1] is None
