"""Reading amounts people and other systems write, and what fits the database exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evergreen.errors import InputError
from evergreen.money import AmbiguousAmount, check_storable, read_amount, show_money


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", "12"),
        ("12.5", "12.5"),
        ("12,50", "12.50"),  # a decimal comma: two digits after it cannot be thousands
        ("0,123", "0.123"),  # nothing groups thousands in front of a zero
        ("1,2345", "1.2345"),
        ("1,234.50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1,234,567", "1234567"),
        ("1.234.567", "1234567"),
        ("1.234.567,89", "1234567.89"),
        ("1 234,50", "1234.50"),
        ("1\u00a0234.5", "1234.5"),
        ("1'234.50", "1234.50"),
        (" 7.00 ", "7"),
        (".5", "0.5"),
        ("12.50000", "12.5"),  # trailing zeros add no precision
        ("123456789012345.1234", "123456789012345.1234"),  # the most Numeric(19, 4) holds
    ],
)
def test_amounts_read_exactly(text: str, expected: str) -> None:
    assert read_amount("amount", text) == Decimal(expected)


@pytest.mark.parametrize("text", ["1,234", "12,345", "1 234,567", "999,000"])
def test_a_single_comma_before_three_digits_is_not_guessed(text: str) -> None:
    with pytest.raises(AmbiguousAmount) as caught:
        read_amount("payout", text)
    assert caught.value.field == "payout"
    assert "ambiguous" in caught.value.message


@pytest.mark.parametrize(
    ("text", "mark", "expected"),
    [
        ("1,234", ".", "1234"),
        ("1,234", ",", "1.234"),
        ("1.234", ",", "1234"),
        ("1.234", ".", "1.234"),
        ("1.234,5", ",", "1234.5"),
    ],
)
def test_a_known_decimal_mark_settles_it(text: str, mark: str, expected: str) -> None:
    assert read_amount("amount", text, decimal_mark=mark) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "not a number"),
        ("abc", "not a number"),
        ("1e5", "not a number"),
        ("NaN", "not a number"),
        ("$12", "not a number"),
        ("-1", "negative"),
        ("1,2,3", "thousands"),
        ("1,23,456.78", "thousands"),
        ("12,34.5", "thousands"),
        ("1.2.3,4,5", "not a number"),
        ("1234567890123456", "15 digits"),
        ("12.34567", "4 decimal places"),
    ],
)
def test_what_cannot_be_read_exactly_is_refused(text: str, why: str) -> None:
    with pytest.raises(InputError) as caught:
        read_amount("amount", text)
    assert why in caught.value.message
    assert caught.value.field == "amount"


def test_a_known_mark_refuses_the_other_style() -> None:
    with pytest.raises(InputError):
        read_amount("amount", "12,50", decimal_mark=".")


@pytest.mark.parametrize(
    "value", [Decimal("1e999"), Decimal("1e15"), Decimal("0.00001"), Decimal("NaN"), Decimal("-1")]
)
def test_only_what_numeric_19_4_holds_is_storable(value: Decimal) -> None:
    with pytest.raises(InputError):
        check_storable("rate", value)


def test_storable_amounts_pass_unchanged() -> None:
    assert check_storable("rate", Decimal("999999999999999.9999")) == Decimal(
        "999999999999999.9999"
    )
    assert check_storable("rate", Decimal("12.50000")) == Decimal("12.5")


@pytest.mark.parametrize(
    ("stored", "plain", "grouped"),
    [
        ("59.1000", "59.10", "59.10"),
        ("1234.5", "1234.50", "1,234.50"),
        ("0.005", "0.01", "0.01"),  # half up, once
        ("-0.0010", "-0.00", "0.00"),  # a page never shows minus nothing
        ("1234567.8912", "1234567.89", "1,234,567.89"),
    ],
)
def test_money_is_shown_to_the_cent_whatever_the_database_keeps(
    stored: str, plain: str, grouped: str
) -> None:
    assert show_money(Decimal(stored)) == plain
    assert show_money(Decimal(stored), grouped=True) == grouped
