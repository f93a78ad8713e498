"""Pure rules of affiliate income: reading postbacks and reports, status moves, EPC."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from evergreen.errors import InputError
from evergreen.networks.rules import (
    DEFAULT_POSTBACK_MAPPING as PB,
)
from evergreen.networks.rules import (
    DEFAULT_REPORT_MAPPING,
    DEFAULT_STATUS_VALUES,
    FIELDS,
    EarningStatus,
    check_mapping,
    conversion_rate,
    decide,
    epc,
    hash_secret,
    month_of,
    parse_reported,
    secret_matches,
)

S = DEFAULT_STATUS_VALUES


def test_a_postback_is_read_through_the_mapping() -> None:
    got = parse_reported(
        {"oid": "A1", "subid": "c1", "amount": "100", "payout": "12.5", "currency": "eur",
         "status": "PAID"}, PB, S,
    )  # fmt: skip
    assert got.order_id == "A1"
    assert got.click_id == "c1"
    assert got.amount == Decimal("100")
    assert got.commission == Decimal("12.5")
    assert got.currency == "EUR"
    assert got.status is EarningStatus.APPROVED
    assert got.occurred_at is None


def test_defaults_and_number_shapes() -> None:
    got = parse_reported({"oid": "A1", "payout": "1,234.50"}, PB, S)
    assert got.commission == Decimal("1234.50")
    assert got.status is EarningStatus.PENDING
    assert got.currency == "USD"
    assert got.amount is None
    assert parse_reported({"oid": "A", "payout": "3,5"}, PB, S).commission == Decimal("3.5")
    assert parse_reported({"oid": "A", "payout": "1", "status": "declined"}, PB, S).status == (
        EarningStatus.REVERSED
    )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"payout": "1"}, "order_id"),
        ({"oid": "A"}, "commission"),
        ({"oid": "A", "payout": "-1"}, "commission"),
        ({"oid": "A", "payout": "abc"}, "commission"),
        ({"oid": "A", "payout": "1", "amount": "1e5"}, "amount"),
        ({"oid": "A", "payout": "1", "currency": "US"}, "currency"),
        ({"oid": "A", "payout": "1", "status": "maybe"}, "status"),
    ],
)
def test_bad_values_name_the_field(values: dict[str, str], field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_reported(values, PB, S)
    assert caught.value.field == field


def test_report_dates_are_utc() -> None:
    row = {"order_id": "1", "commission": "2", "date": "2026-03-01"}
    got = parse_reported(row, DEFAULT_REPORT_MAPPING, S)
    assert got.occurred_at == datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(InputError) as caught:
        parse_reported({**row, "date": "yesterday"}, DEFAULT_REPORT_MAPPING, S)
    assert caught.value.field == "date"


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_a_date_whose_offset_leaves_the_calendar_is_refused_by_its_field(text: str) -> None:
    """Moved to UTC these fall outside years 1 to 9999; the import was a 500 (OverflowError)."""
    row = {"order_id": "1", "commission": "2", "date": text}
    with pytest.raises(InputError) as caught:
        parse_reported(row, DEFAULT_REPORT_MAPPING, S)
    assert caught.value.field == "date"


def test_statuses_only_move_forward() -> None:
    pending, approved, reversed_ = (
        EarningStatus.PENDING, EarningStatus.APPROVED, EarningStatus.REVERSED,
    )  # fmt: skip
    assert decide(None, pending).action == "create"
    assert decide("pending", pending).action == "noop"
    assert decide("pending", approved).action == "update"
    assert decide("approved", reversed_).action == "update"
    assert decide("pending", reversed_).action == "update"
    regression = decide("approved", pending)
    assert regression.action == "ignore"
    assert "pending" in regression.note
    assert decide("reversed", approved).action == "ignore"


def test_mappings_are_checked() -> None:
    assert check_mapping(PB, FIELDS) == PB
    with pytest.raises(InputError) as caught:
        check_mapping({"order": "x"}, FIELDS)
    assert caught.value.field == "order"
    with pytest.raises(InputError):
        check_mapping({"commission": "c"}, FIELDS)


def test_epc_rate_month_and_secret() -> None:
    assert epc(Decimal("10"), 3) == Decimal("3.33")
    assert epc(Decimal("10"), 0) is None
    assert conversion_rate(1, 3) == Decimal("33.33")
    assert conversion_rate(1, 0) is None
    assert month_of(datetime(2026, 3, 9, tzinfo=UTC)) == "2026-03"
    digest = hash_secret("abc")
    assert secret_matches(digest, "abc")
    assert not secret_matches(digest, "abd")
    assert not secret_matches(digest, None)


@pytest.mark.parametrize(
    ("payout", "expected"),
    [("1.234,50", "1234.50"), ("1,234.50", "1234.50"), ("12,50", "12.50"), ("4.2", "4.20")],
)
def test_postback_amounts_with_separators_are_read_exactly(payout: str, expected: str) -> None:
    got = parse_reported({"oid": "A", "payout": payout, "amount": payout}, PB, S)
    assert got.commission == Decimal(expected)
    assert got.amount == Decimal(expected)


@pytest.mark.parametrize(
    ("payout", "why"),
    [
        ("1,234", "ambiguous"),  # 1.234 or 1234: never guessed
        ("12.34567", "4 decimal places"),  # not rounded to fit Numeric(19, 4)
        ("1234567890123456", "15 digits"),
    ],
)
def test_postback_amounts_that_cannot_be_read_exactly_are_refused(payout: str, why: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_reported({"oid": "A", "payout": payout}, PB, S)
    assert caught.value.field == "commission"
    assert why in caught.value.message


def test_a_network_decimal_mark_reads_the_ambiguous_shape() -> None:
    assert parse_reported({"oid": "A", "payout": "1,234"}, PB, S, decimal_mark=",").commission == (
        Decimal("1.234")
    )
    assert parse_reported({"oid": "A", "payout": "1,234"}, PB, S, decimal_mark=".").commission == (
        Decimal("1234")
    )
