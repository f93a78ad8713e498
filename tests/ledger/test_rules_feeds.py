"""The pure rules of automatic postings: what should stand for an event, and the steps there."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import islice

import pytest

from evergreen.ledger.rules import check_balanced
from evergreen.ledger.rules.feeds import (
    RECEIVABLE,
    Standing,
    Steps,
    commission_want,
    currency_problem,
    network_want,
    payout_want,
    steps,
    stream_names,
)

D = Decimal

SOLD = date(2026, 3, 10)
LATER = date(2026, 5, 2)


@pytest.mark.parametrize(
    ("status", "valid", "commission", "flag"),
    [("pending", True, D("12.5"), "!"), ("approved", True, D("12.5"), "*"),
     ("reversed", True, D("12.5"), None), ("approved", False, D("12.5"), None),
     ("approved", True, D(0), None)],
)  # fmt: skip
def test_a_network_earning_is_pending_until_approved_and_nothing_once_reversed(
    status: str, valid: bool, commission: D, flag: str | None
) -> None:
    want = network_want(status, commission, "USD", SOLD, valid=valid)
    if flag is None:
        assert want is None
        return
    assert want is not None
    assert (want.flag, want.on, want.debit, want.restates) == (flag, SOLD, RECEIVABLE, True)
    legs = want.legs(7)
    check_balanced(legs)
    assert [(leg.account, leg.amount, leg.stream_id) for leg in legs] == [
        ("Assets:Receivable:Networks", D("12.5"), 7),
        ("Income:Commissions", D("-12.5"), 7),
    ]


@pytest.mark.parametrize(
    ("status", "counts"),
    [("pending", False), ("on_hold", False), ("approved", True), ("payable", True),
     ("paid", True), ("reversed", False), ("rejected", False)],
)  # fmt: skip
def test_a_commission_costs_the_program_from_approval_until_reversed(
    status: str, counts: bool
) -> None:
    want = commission_want(status, D("30"), "USD", LATER)
    assert (want is not None) == counts
    if want is not None:
        assert [(leg.account, leg.amount) for leg in want.legs(1)] == [
            ("Expenses:Commissions", D("30")),
            ("Liabilities:Partners:Commissions", D("-30")),
        ]


def test_a_clawback_takes_cost_and_debt_back_and_a_payout_settles_from_the_bank() -> None:
    claw = commission_want("approved", D("-30"), "USD", LATER)
    assert claw is not None
    assert [(leg.account, leg.amount) for leg in claw.legs(1)] == [
        ("Expenses:Commissions", D("-30")),
        ("Liabilities:Partners:Commissions", D("30")),
    ]
    paid = payout_want(D("55"), "USD", LATER)
    assert paid is not None
    assert [(leg.account, leg.amount) for leg in paid.legs(1)] == [
        ("Liabilities:Partners:Commissions", D("55")),
        ("Assets:Bank", D("-55")),
    ]
    assert payout_want(D(0), "USD", LATER) is None


def _standing(state: str = "pending", amount: str = "12.5", on: date = SOLD) -> Standing:
    return Standing(1, state, D(amount), "USD", on)


def test_what_stands_already_needs_no_step() -> None:
    assert steps(None, None, LATER) == Steps()
    same = network_want("pending", D("12.5"), "USD", SOLD)
    assert steps(_standing(), same, LATER) == Steps()


def test_a_first_event_posts_on_its_own_day() -> None:
    want = network_want("pending", D("12.5"), "USD", SOLD)
    assert steps(None, want, LATER) == Steps(post_on=SOLD)


def test_a_network_correction_restates_the_sale_day() -> None:
    approved = network_want("approved", D("12.5"), "USD", SOLD)
    assert steps(_standing(), approved, LATER) == Steps(reverse_on=SOLD, post_on=SOLD)
    changed = network_want("approved", D("14"), "USD", SOLD)
    assert steps(_standing("approved"), changed, LATER) == Steps(reverse_on=SOLD, post_on=SOLD)


def test_a_withdrawal_or_a_refund_happens_on_its_own_day() -> None:
    assert steps(_standing("approved"), None, LATER) == Steps(reverse_on=LATER)
    # never before what it reverses
    assert steps(_standing("approved", on=LATER), None, SOLD) == Steps(reverse_on=LATER)
    partial = commission_want("approved", D("20"), "USD", SOLD)
    assert steps(_standing("approved", "30"), partial, LATER) == Steps(LATER, LATER)


def test_a_foreign_currency_needs_a_price() -> None:
    assert currency_problem("USD", "USD", "Impact") == ""
    problem = currency_problem("EUR", "USD", "Impact")
    assert problem.startswith("needs a price: EUR cannot be posted to the USD stream 'Impact'")


def test_a_stream_made_for_a_source_gets_a_free_name() -> None:
    assert list(islice(stream_names("  Impact  "), 3)) == ["Impact", "Impact (2)", "Impact (3)"]
    long = next(islice(stream_names("x" * 120), 1, None))
    assert len(long) == 100
    assert long.endswith(" (2)")
