"""Payout notices without a database: what the partner reads, and a notice after each try."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from evergreen.partners.rules.notices import NoticeFacts, notice_status_after, notice_values

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _facts(**changes: object) -> NoticeFacts:
    base: dict[str, object] = {
        "payout_id": 7,
        "program": "Shop",
        "amounts": [("USD", Decimal("1234.5")), ("EUR", Decimal("5"))],
        "first": date(2026, 10, 3),
        "last": date(2026, 11, 20),
        "method": "paypal",
        "pay_to": "ana@pay.example",
        "reference": "evergreen-payout-7-partner-1",
    }
    return NoticeFacts(**(base | changes))  # type: ignore[arg-type]


def test_the_notice_says_amount_period_and_method() -> None:
    values = notice_values(_facts())
    assert values["amount"] == "5.00 EUR, 1234.50 USD"
    assert values["period"] == "2026-10-03 to 2026-11-20"
    assert values["method"] == "PayPal (ana@pay.example)"
    assert values["reference"] == "evergreen-payout-7-partner-1"
    assert values["payout"] == "7"


def test_one_day_and_unknown_methods_read_plainly() -> None:
    one_day = _facts(first=date(2026, 11, 2), last=date(2026, 11, 2), method="cheque", pay_to="")
    values = notice_values(one_day)
    assert values["period"] == "2026-11-02"
    assert values["method"] == "cheque"


@pytest.mark.parametrize(
    ("problem", "attempts", "age", "status"),
    [
        (None, 1, timedelta(0), "sent"),
        (None, 5, timedelta(days=6), "sent"),
        ("deferred: 451 try later", 1, timedelta(minutes=1), "due"),
        ("deferred: 451 try later", 5, timedelta(minutes=1), "failed"),  # out of attempts
        ("deferred: 451 try later", 2, timedelta(days=7), "failed"),  # too old to announce
    ],
)
def test_a_notice_after_a_try(
    problem: str | None, attempts: int, age: timedelta, status: str
) -> None:
    assert notice_status_after(problem, attempts, NOW - age, NOW) == status
