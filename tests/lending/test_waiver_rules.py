"""Fee waivers as pure rules: what is left of each fee (payments settle the oldest first, a
waiver the fee it names), when a waiver stands, and what it posts and takes off what is owed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from evergreen.errors import Conflict, InputError
from evergreen.lending.rules.interest import LoanState
from evergreen.lending.rules.postings import FEES, RECEIVABLE, legs_of
from evergreen.lending.rules.replay import Fact, apply, check_closing_day, check_payment_day
from evergreen.lending.rules.waivers import (
    MAX_REASON,
    FeeLine,
    FeeMove,
    check_waiver,
    fee_lines,
    read_reason,
)

D = Decimal
TODAY = date(2026, 6, 1)
LATE = FeeLine(7, date(2026, 2, 26), "late fee on the 2026-02-15 payment", D(50))


def _left(lines: list[FeeLine]) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    return {f.id: (f.paid, f.waived, f.left) for f in lines}


def test_a_payment_settles_the_oldest_fee_first_and_a_waiver_the_fee_it_names() -> None:
    lines = fee_lines([
        FeeMove(1, "fee", date(2026, 2, 26), D(50), "late"),
        FeeMove(2, "fee", date(2026, 3, 26), D(30), "late"),
        FeeMove(3, "payment", date(2026, 4, 1), D(40)),
        FeeMove(4, "fee_waiver", date(2026, 4, 2), D(30), waives=2),
        FeeMove(5, "payment", date(2026, 4, 15), D(10)),
    ])  # fmt: skip
    assert _left(lines) == {1: (D(50), D(0), D(0)), 2: (D(0), D(30), D(0))}


def test_a_payment_leaves_a_fee_dated_after_it_to_later_payments() -> None:
    """A fee charged after a payment (a draw fee dated later) is not what that payment paid."""
    lines = fee_lines([
        FeeMove(1, "fee", date(2026, 5, 1), D(75), "draw fee"),
        FeeMove(2, "fee", date(2026, 3, 1), D(20), "late"),
        FeeMove(3, "payment", date(2026, 4, 1), D(20)),
    ])  # fmt: skip
    assert _left(lines) == {2: (D(20), D(0), D(0)), 1: (D(0), D(0), D(75))}
    assert [f.id for f in lines] == [2, 1]  # oldest first


def test_old_data_a_payment_that_paid_a_fee_dated_after_it_still_adds_up() -> None:
    """Before fees were owed only from their date, a payment could pay a late fee dated after
    it; the stored split stands, and its fee money goes to that later fee."""
    lines = fee_lines([
        FeeMove(1, "fee", date(2026, 2, 26), D(50), "late"),
        FeeMove(2, "payment", date(2026, 2, 20), D(50)),
    ])  # fmt: skip
    assert _left(lines) == {1: (D(50), D(0), D(0))}


def test_a_charge_off_writes_off_what_is_left_of_each_fee() -> None:
    lines = fee_lines([
        FeeMove(1, "fee", date(2026, 2, 26), D(50), "late"),
        FeeMove(2, "fee_waiver", date(2026, 3, 1), D(20), waives=1),
        FeeMove(3, "charge_off", date(2026, 3, 2), D(30)),
    ])  # fmt: skip
    assert (lines[0].waived, lines[0].written_off, lines[0].left) == (D(20), D(30), D(0))


@pytest.mark.parametrize(
    ("amount", "waived"), [(None, D(50)), (D("12.50"), D("12.50")), (D(50), D(50))]
)
def test_a_waiver_of_all_or_part_of_what_is_owed_stands(
    amount: Decimal | None, waived: Decimal
) -> None:
    reason, paid = "  first late payment,\n goodwill ", date(2026, 2, 15)
    waiver = check_waiver((3, "open"), LATE, amount, reason, date(2026, 3, 1), last_payment=paid,
                          today=TODAY)  # fmt: skip
    assert (waiver.amount, waiver.reason) == (waived, "first late payment, goodwill")
    assert waiver.note().startswith(f"waived {waived:.2f} of fee 7 (late fee on the 2026-02-15 "
                                    "payment, 2026-02-26)")  # fmt: skip
    assert waiver.note().endswith(": first late payment, goodwill")


@pytest.mark.parametrize(
    ("fee", "amount", "reason", "on", "field", "words"),
    [
        (LATE, D("50.01"), "goodwill", date(2026, 3, 1), "amount",
         "50.01 is more than the 50.00 still owed on fee 7"),
        (FeeLine(7, date(2026, 2, 26), "", D(50), paid=D(20), waived=D(10)), D(25), "goodwill",
         date(2026, 3, 1), "amount", "more than the 20.00 still owed"),
        (LATE, None, " \t", date(2026, 3, 1), "reason", "say why"),
        (LATE, None, "x" * (MAX_REASON + 1), date(2026, 3, 1), "reason", "at most 300"),
        (LATE, None, "ok\x00", date(2026, 3, 1), "reason", "control characters"),
        (LATE, None, "goodwill", date(2026, 2, 25), "date", "the fee's own date"),
        (LATE, None, "goodwill", date(2026, 2, 27), "date", "the loan's last payment"),
        (LATE, None, "goodwill", date(2026, 6, 2), "date", "after today"),
    ],
)  # fmt: skip
def test_a_waiver_is_refused_naming_what_to_fix(
    fee: FeeLine, amount: Decimal | None, reason: str, on: date, field: str, words: str
) -> None:
    with pytest.raises(InputError) as refused:
        check_waiver((3, "open"), fee, amount, reason, on, last_payment=date(2026, 2, 28),
                     today=TODAY)  # fmt: skip
    assert not isinstance(refused.value, Conflict)
    assert refused.value.field == field
    assert words in refused.value.message


@pytest.mark.parametrize(
    ("status", "fee", "field", "words"),
    [
        ("paid_off", LATE, "loan_id", "loan 3 is paid off"),
        ("charged_off", LATE, "loan_id", "loan 3 is charged off"),
        ("open", FeeLine(7, date(2026, 2, 26), "", D(50), paid=D(50)), "fee_id",
         "fee 7 is settled (50.00 charged, 50.00 paid, 0.00 waived)"),
        ("open", FeeLine(7, date(2026, 2, 26), "", D(50), paid=D(30), waived=D(20)), "fee_id",
         "nothing is left to waive"),
    ],
)  # fmt: skip
def test_a_closed_loan_or_a_settled_fee_is_a_conflict(
    status: str, fee: FeeLine, field: str, words: str
) -> None:
    with pytest.raises(Conflict) as refused:
        check_waiver((3, status), fee, None, "goodwill", date(2026, 3, 1), last_payment=None,
                     today=TODAY)  # fmt: skip
    assert refused.value.field == field
    assert words in refused.value.message


def test_a_reason_is_one_line_of_plain_text() -> None:
    assert read_reason(" hardship,\r\n  called   on time ") == "hardship, called on time"


def test_a_waiver_posts_the_reversal_of_its_fee_for_the_part_waived() -> None:
    charged = legs_of("fee", amount=D(50), fees=D(50))
    waived = legs_of("fee_waiver", amount=D(20), fees=D(20))
    assert charged == [(RECEIVABLE, D(50)), (FEES, D(-50))]
    assert waived == [(FEES, D(20)), (RECEIVABLE, D(-20))]


def test_the_replay_takes_the_waived_part_off_the_fees_owed() -> None:
    state = LoanState(D(1000), D(0), date(2026, 3, 1), fees=D(50))
    after = apply(state, Fact("fee_waiver", date(2026, 3, 2), D(20), fees=D(20)))
    assert (after.fees, after.balance, after.accrued_to) == (D(30), D(1000), date(2026, 3, 1))


def test_money_received_or_a_close_before_a_waiver_is_refused() -> None:
    facts = [Fact("fee", date(2026, 2, 26), D(50), fees=D(50)),
             Fact("fee_waiver", date(2026, 3, 10), D(20), fees=D(20))]  # fmt: skip
    check_payment_day(facts, date(2026, 3, 10))
    for check in (check_payment_day, check_closing_day):
        with pytest.raises(InputError, match="2026-03-10, the date of the loan's last fee waiver"):
            check(facts, date(2026, 3, 9))
