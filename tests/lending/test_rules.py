"""The lending rules on plain values, against worked examples from lender documentation and
against the finance area's loan schedule for the same terms."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from evergreen.finance.loans.schedule import LoanTerms as FinanceTerms
from evergreen.finance.loans.schedule import schedule
from evergreen.lending.errors import LendingInputError
from evergreen.lending.rules import LoanTerms as Terms
from evergreen.lending.rules import (
    Owed,
    accrue,
    accrued,
    allocate,
    book_xirr,
    bucket,
    calendar_rows,
    check_draw,
    check_extension,
    days_late,
    days_past_due,
    default_day,
    default_from,
    expected_calendar,
    interest_since,
    late_fee_day,
    late_fees,
    loan_to_arv,
    loan_to_cost,
    next_status,
    opening_state,
    payoff_quote,
    per_diem,
    read_order,
    read_percent,
    read_rate,
    schedule_position,
    to_cents,
    weighted_rate,
)
from evergreen.lending.rules.book import prepayment_charge
from evergreen.lending.rules.replay import Fact, check_closing_day, fees_after

D = Decimal


@pytest.mark.parametrize(
    ("principal", "rate", "convention", "expected"),
    [
        # A fix-and-flip lender's payoff sheet: $150,000 at 12 %, 30/360 → 150,000 * .12 / 360.
        ("150000", "0.12", "30/360", "50.00"),
        ("150000", "0.12", "actual/360", "50.00"),
        # Actual/365: 150,000 * .12 / 365 = 49.3150… → 49.32.
        ("150000", "0.12", "actual/365", "49.32"),
        # $237,500 at 10.99 %: 72.504861… → 72.50 (actual/360).
        ("237500", "0.1099", "actual/360", "72.50"),
        ("0", "0.12", "30/360", "0.00"),
    ],
)
def test_per_diem_is_the_balance_times_the_rate_over_the_day_count_year(
    principal: str, rate: str, convention: str, expected: str
) -> None:
    assert per_diem(D(principal), D(rate), convention) == D(expected)


@pytest.mark.parametrize(
    ("start", "end", "convention", "expected"),
    [
        # 30/360: Jan 15 → Mar 15 is 60 days whatever February holds: 100,000 * .12 * 60/360.
        (date(2026, 1, 15), date(2026, 3, 15), "30/360", "2000.00"),
        # Actual/360 counts the 59 real days: 100,000 * .12 * 59 / 360 = 1966.666… → 1966.67.
        (date(2026, 1, 15), date(2026, 3, 15), "actual/360", "1966.67"),
        # Actual/365: 59 days → 1939.726… → 1939.73.
        (date(2026, 1, 15), date(2026, 3, 15), "actual/365", "1939.73"),
        # A 31-day month on 30/360 still counts 30 (Jan 31 → Feb 28 counts 28 under SIA rules).
        (date(2026, 3, 1), date(2026, 4, 1), "30/360", "1000.00"),
        (date(2026, 3, 1), date(2026, 3, 1), "actual/365", "0.00"),
    ],
)
def test_accrued_interest_follows_the_day_count(
    start: date, end: date, convention: str, expected: str
) -> None:
    assert accrued(D(100000), D("0.12"), start, end, convention) == D(expected)


@pytest.mark.parametrize("convention", ["30/360", "actual/360", "actual/365"])
@pytest.mark.parametrize("interest_only", [True, False])
def test_the_calendar_matches_the_finance_schedule_for_the_same_terms(
    convention: str, interest_only: bool
) -> None:
    """Each month's interest (and, amortising, principal) is finance's schedule to the cent."""
    start = date(2026, 1, 15)
    ours = Terms(D(250000), D("0.105"), 12, start, convention, interest_only=interest_only,
                 amortization_months=None if interest_only else 360)  # fmt: skip
    theirs = schedule(FinanceTerms(250000.0, 0.105, 12, start, day_count=convention,  # type: ignore[arg-type]
                                   amortization_months=None if interest_only else 360))  # fmt: skip
    calendar = expected_calendar(ours)
    assert [row.on for row in calendar] == [row.date for row in theirs.rows]
    for mine, row in zip(calendar, theirs.rows, strict=True):
        assert mine.interest == to_cents(D(repr(row.interest)))
        assert abs(mine.principal - D(repr(row.principal))) <= D("0.02")
    assert sum(r.principal for r in calendar) == D(250000)


def test_a_draw_accrues_from_its_funding_day_and_dutch_interest_runs_on_the_commitment() -> None:
    """$100,000 funded plus a $20,000 draw on Feb 25 at 12 % (30/360): March 15's interest is
    1,000 on the note + 20,000 * .12 * 20/360 = 133.33; Dutch charges 1,200 every month."""
    start = date(2026, 1, 15)
    drawn = Terms(D(100000), D("0.12"), 6, start, commitment=D(150000))
    dutch = Terms(D(100000), D("0.12"), 6, start, commitment=D(120000), dutch=True)
    draws = [(date(2026, 2, 25), D(20000))]
    assert [r.interest for r in expected_calendar(drawn, draws)[:2]] == [D(1000), D("1133.33")]
    assert {r.interest for r in expected_calendar(dutch, draws)} == {D(1200)}
    state = accrue(opening_state(dutch), dutch, date(2026, 2, 15), None)
    assert state.interest == D(1200)


@pytest.mark.parametrize(
    ("amount", "order", "expected"),
    [
        # Fineract's default: fees, then default interest, then interest, then principal.
        ("100", None, (D(50), D(25), D(25), D(0))),
        ("1000", None, (D(50), D(25), D(400), D(525))),
        ("60", "interest,principal,fees,default_interest", (D(0), D(0), D(60), D(0))),
        ("500", "principal,interest,fees,default_interest", (D(0), D(0), D(0), D(500))),
    ],
)
def test_a_payment_is_allocated_in_order(
    amount: str, order: str | None, expected: tuple[Decimal, ...]
) -> None:
    owed = Owed(fees=D(50), default_interest=D(25), interest=D(400), principal=D(10000))
    split = allocate(D(amount), owed, read_order(order) if order else owed_order())
    assert (split.fees, split.default_interest, split.interest, split.principal) == expected
    assert split.amount == D(amount)


def owed_order() -> tuple[str, ...]:
    return ("fees", "default_interest", "interest", "principal")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: allocate(D(20000), Owed(principal=D(100))), "amount"),
        (lambda: allocate(D(0), Owed(principal=D(100))), "amount"),
        (lambda: read_order("fees,interest"), "allocation"),
        (lambda: read_rate("rate", "150"), "rate"),
        (lambda: read_rate("rate", "lots"), "rate"),
        (lambda: read_percent("points", "100"), "points"),
        (lambda: check_draw(D(60), undrawn=D(50)), "amount"),
        (lambda: check_draw(D(40), undrawn=D(50), rehab_budget=D(70), rehab_drawn=D(40)), "amount"),
        (lambda: next_status("requested", "fund"), "status"),
        (lambda: next_status("funded", "approve"), "status"),
        (lambda: check_extension(date(2026, 6, 1), date(2026, 5, 1)), "maturity"),
        (lambda: Terms(D(100), D("0.1"), 12, date(2026, 1, 1), commitment=D(50)), "commitment"),
        (
            lambda: Terms(D(100), D("0.1"), 12, date(2026, 1, 1), default_rate=D("0.05")),
            "default_rate",
        ),
        (lambda: Terms(D(100), D("0.1"), 12, date(2026, 1, 1), "30/365"), "day_count"),
        (lambda: Terms(D(100), D("0.1"), 12, date(2026, 1, 1), grace_days=2**63), "grace_days"),
        (
            lambda: Terms(D(100), D("0.1"), 12, date(2026, 1, 1), default_after_days=-5),
            "default_after_days",
        ),
        (
            lambda: Terms(D(100), D("0.1"), 12, date(2026, 1, 1), default_after_days=2**63),
            "default_after_days",
        ),
    ],
)
def test_a_refused_value_names_its_field(call: object, field: str) -> None:
    with pytest.raises(LendingInputError) as refused:
        call()  # type: ignore[operator]
    assert refused.value.field == field


@pytest.mark.parametrize(("text", "rate"), [("0.12", "0.12"), ("12%", "0.12"), ("12", "0.12"),
                                            ("9.5", "0.095"), ("0", "0")])  # fmt: skip
def test_rates_are_read_as_fractions_or_percentages(text: str, rate: str) -> None:
    assert read_rate("annual_rate", text) == D(rate)


def test_draws_move_through_inspection_and_approval_to_funding() -> None:
    assert next_status("requested", "inspect") == "inspected"
    assert next_status("inspected", "approve") == "approved"
    assert next_status("requested", "approve") == "approved"  # inspection waived
    assert next_status("approved", "fund") == "funded"
    assert check_draw(D(30), undrawn=D(50), rehab_budget=D(70), rehab_drawn=D(40)) == D(30)


@pytest.mark.parametrize(
    ("paid", "as_of", "days", "word"),
    [
        ("3000", date(2026, 4, 20), 5, "current"),  # three months due (Feb-Apr 15), all paid
        ("2000", date(2026, 4, 20), 5, "current"),  # April's unpaid, 5 days
        ("1000", date(2026, 4, 20), 36, "30"),  # March 15 unpaid
        ("0", date(2026, 4, 20), 64, "60"),
        ("0", date(2026, 6, 1), 106, "90+"),
    ],
)
def test_days_past_due_and_bucket_come_from_the_calendar_against_payments(
    paid: str, as_of: date, days: int, word: str
) -> None:
    terms = Terms(D(100000), D("0.12"), 12, date(2026, 1, 15))
    calendar = expected_calendar(terms)
    late = days_past_due(calendar, D(paid), as_of)
    expected_days = 0 if paid == "3000" else days
    assert late == expected_days
    assert bucket(late) == word


def test_late_fees_follow_the_grace_period_once_per_missed_payment() -> None:
    """Flat $50 plus 5 % of a $1,000 payment = $100, charged once its 10 grace days are over."""
    terms = Terms(D(100000), D("0.12"), 12, date(2026, 1, 15), late_fee=D(50),
                  late_fee_pct=D("0.05"))  # fmt: skip
    calendar = expected_calendar(terms)
    assert late_fees(terms, calendar, [], date(2026, 2, 25)) == []  # the 10th day of grace
    assert late_fees(terms, calendar, [], date(2026, 2, 26)) == [(date(2026, 2, 15), D(100))]
    paid_late = [(date(2026, 2, 24), D(1000))]  # inside grace: no fee for February
    assert late_fees(terms, calendar, paid_late, date(2026, 3, 30)) == [(date(2026, 3, 15), D(100))]


def test_a_late_fee_run_is_refused_after_today_and_allowed_to_catch_up() -> None:
    """A run as of a later day would charge fees not yet incurred: refused, naming the date."""
    today = date(2026, 3, 1)
    assert late_fee_day(today, today) == today
    assert late_fee_day(date(2026, 2, 1), today) == date(2026, 2, 1)  # a missed run, caught up
    with pytest.raises(LendingInputError) as refused:
        late_fee_day(date(2026, 12, 1), today)
    assert refused.value.field == "date"
    assert "must not be after today (2026-03-01)" in refused.value.message


_FEES = [Fact("fee", date(2026, 2, 26), D(50), fees=D(50)),
         Fact("payment", date(2026, 2, 20), D(1000), principal=D(900), interest=D(100)),
         Fact("fee", date(2026, 3, 26), D(40), fees=D(40))]  # fmt: skip


@pytest.mark.parametrize(("day", "later"), [
    (date(2026, 2, 20), D(90)), (date(2026, 2, 26), D(40)), (date(2026, 3, 25), D(40)),
    (date(2026, 3, 26), D(0)),
])  # fmt: skip
def test_fees_are_owed_from_their_own_date(day: date, later: Decimal) -> None:
    """A fee dated after a day is not owed on it (a payment's own fees are never counted)."""
    assert fees_after(_FEES, day) == later


def test_a_loan_is_not_closed_before_a_fee_charged_on_it() -> None:
    check_closing_day(_FEES, date(2026, 3, 26))
    with pytest.raises(LendingInputError) as refused:
        check_closing_day(_FEES, date(2026, 3, 1))
    assert refused.value.field == "date"
    assert "must not be before 2026-03-26" in refused.value.message


def test_default_interest_starts_after_maturity_or_n_days_late() -> None:
    """24 % default rate on $100,000 (12 % note): 10 days past maturity add 100,000 * .12 *
    10/360 = 333.33 of default interest on top of the note's 333.33."""
    terms = Terms(D(100000), D("0.12"), 3, date(2026, 1, 15), default_rate=D("0.24"),
                  default_after_days=45)  # fmt: skip
    calendar = expected_calendar(terms)
    assert default_from(terms, calendar, D(3000), date(2026, 4, 15)) is None
    start = default_from(terms, calendar, D(3000), date(2026, 4, 25))
    assert start == date(2026, 4, 15)
    paid_to_maturity = opening_state(terms).__class__(D(100000), D(0), date(2026, 4, 15))
    quote = payoff_quote(paid_to_maturity, terms, date(2026, 4, 25), start)
    assert (quote.interest, quote.default_interest) == (D("333.33"), D("333.33"))
    assert quote.per_diem == D("66.67")  # at the default rate
    assert default_from(terms, calendar, D(0), date(2026, 3, 31)) is None  # 44 days late
    assert default_from(terms, calendar, D(0), date(2026, 4, 5)) == date(2026, 2, 15)


def test_the_books_plain_arithmetic_is_the_quotes_accrual_and_default_start() -> None:
    """The book prices 10,000 loans from their rows with `interest_since` and `default_day`:
    the same figures `accrue` and `default_from` give from the note's terms and calendar.
    The 24 % note above, 10 days past maturity: 333.33 of interest and 333.33 of default."""
    terms = Terms(D(100000), D("0.12"), 3, date(2026, 1, 15), default_rate=D("0.24"),
                  default_after_days=45)  # fmt: skip
    calendar = expected_calendar(terms)
    state = opening_state(terms).__class__(D(100000), D(0), date(2026, 4, 15))
    for paid, day in ((D(3000), date(2026, 4, 25)), (D(0), date(2026, 3, 31)),
                      (D(0), date(2026, 4, 5)), (D(1000), date(2026, 3, 20))):  # fmt: skip
        late = days_past_due(calendar, paid, day)
        start = default_from(terms, calendar, paid, day)
        assert default_day(terms.maturity, terms.default_after_days, late, day) == start
    start = default_day(terms.maturity, 45, 0, date(2026, 4, 25))
    assert start == date(2026, 4, 15)
    more, extra = interest_since(D(100000), D("0.12"), D("0.24"), state.accrued_to,
                                 date(2026, 4, 25), "30/360", start)  # fmt: skip
    counted = accrue(state, terms, date(2026, 4, 25), start)
    assert (more, extra) == (counted.interest, counted.default_interest)
    assert (more, extra) == (D("333.33"), D("333.33"))
    assert interest_since(D(100000), D("0.12"), None, state.accrued_to, date(2026, 4, 25),
                          "30/360", start) == (D("333.33"), D(0))  # fmt: skip


def test_payoff_quote_is_principal_interest_since_the_last_payment_and_fees() -> None:
    """$200,000 at 11 % actual/360, paid through March 1, quoted April 10: 40 days =
    200,000 * .11 * 40 / 360 = 2444.44; per diem 61.11; a $75 fee owed."""
    terms = Terms(D(200000), D("0.11"), 12, date(2026, 1, 1), "actual/360")
    state = opening_state(terms).__class__(D(200000), D(0), date(2026, 3, 1), fees=D(75))
    quote = payoff_quote(state, terms, date(2026, 4, 10), None)
    assert quote.contract() == {"principal": 200000.0, "interest": 2444.44, "fees": 75.0,
                                "total": 202519.44, "per_diem": 61.11}  # fmt: skip


def test_loan_to_cost_and_to_arv_and_the_weighted_rate() -> None:
    """$180,000 on a $150,000 purchase with $50,000 of rehab is 90 % LTC; 60 % of a $300,000 ARV."""
    assert loan_to_cost(D(180000), D(150000), D(50000)) == D("0.9")
    assert loan_to_arv(D(180000), D(300000)) == D("0.6")
    assert loan_to_cost(D(1), None, None) is None
    assert loan_to_arv(D(1), None) is None
    assert weighted_rate([(D(100000), D("0.10")), (D(300000), D("0.12"))]) == D("0.115")
    assert weighted_rate([]) is None


def test_book_xirr_is_excels_xirr_of_the_dated_flows() -> None:
    """Excel: =XIRR({-10000, 2750, 4250, 3250, 2750}, {2008-01-01, 2008-03-01, 2008-10-30,
    2009-02-15, 2009-04-01}) = 0.373362535 (Microsoft's documentation example)."""
    flows = [(date(2008, 1, 1), D(-10000)), (date(2008, 3, 1), D(2750)),
             (date(2008, 10, 30), D(4250)), (date(2009, 2, 15), D(3250)),
             (date(2009, 4, 1), D(2750))]  # fmt: skip
    result = book_xirr(flows)
    assert result is not None
    assert abs(result - 0.373362535) < 1e-8
    assert book_xirr([(date(2008, 1, 1), D(-1))]) is None


@pytest.mark.parametrize(
    "terms",
    [
        Terms(Decimal(80000), Decimal("0.11"), 10, date(2026, 1, 31), day_count="actual/365",
              commitment=Decimal(120000)),
        Terms(Decimal(90000), Decimal("0.11"), 10, date(2026, 1, 7), commitment=Decimal(120000),
              dutch=True),
        Terms(Decimal(60000), Decimal("0.09"), 8, date(2026, 1, 1), interest_only=False),
    ],
)  # fmt: skip
def test_the_calendar_after_a_day_is_the_whole_calendars_later_rows(terms: Terms) -> None:
    draws = [(date(2026, 2, 15), Decimal(10000)), (date(2026, 5, 1), Decimal(20000))]
    if terms.commitment is None:
        draws = []
    rows = expected_calendar(terms, draws)
    for after in (date(2026, 1, 1), date(2026, 2, 28), date(2026, 3, 31), date(2026, 5, 1),
                  date(2026, 9, 10), rows[-1].on):  # fmt: skip
        assert list(calendar_rows(terms, draws, after)) == [r for r in rows if r.on > after]


def test_the_stored_position_is_the_oldest_unpaid_due_date_and_what_is_left_of_it() -> None:
    terms = Terms(Decimal(120000), Decimal("0.12"), 6, date(2026, 1, 10))
    rows = expected_calendar(terms)  # 1,200.00 a month, 121,200.00 at maturity
    assert schedule_position(rows, Decimal(0)) == (date(2026, 2, 10), Decimal("1200.00"))
    assert schedule_position(rows, Decimal(1500)) == (date(2026, 3, 10), Decimal("900.00"))
    assert schedule_position(rows, sum((r.amount for r in rows), Decimal(0))) == (None, 0)
    assert days_late(date(2026, 3, 10), date(2026, 4, 9)) == 30
    assert days_late(date(2026, 3, 10), date(2026, 3, 10)) == 0
    assert days_late(date(2026, 3, 10), date(2026, 3, 1)) == 0
    assert days_late(None, date(2026, 3, 1)) == 0


def test_prepayment_terms_add_the_minimum_interest_shortfall_and_the_premium() -> None:
    """$100,000 at 12 %: six months' minimum interest is 6,000; paid off after 2,500 of
    interest earned, 3,500 is still due. A 2 % premium within the first 6 months on a
    100,000 balance is 2,000 more; at month 7 only the minimum applies; at maturity nothing."""
    terms = Terms(D(100000), D("0.12"), 12, date(2026, 1, 1), min_interest_months=6,
                  prepay_pct=D("0.02"), prepay_months=6)  # fmt: skip
    assert prepayment_charge(terms, D(100000), date(2026, 3, 16), D(2500)) == D(5500)
    assert prepayment_charge(terms, D(100000), date(2026, 7, 1), D(5000)) == D(1000)
    assert prepayment_charge(terms, D(100000), date(2026, 8, 1), D(7000)) == D(0)
    assert prepayment_charge(terms, D(100000), date(2027, 1, 1), D(0)) == D(0)  # matured
    plain = Terms(D(100000), D("0.12"), 12, date(2026, 1, 1))
    assert prepayment_charge(plain, D(100000), date(2026, 2, 1), D(0)) == D(0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"min_interest_months": 13}, "min_interest_months"),
     ({"prepay_pct": D("0.02")}, "prepay_months"),
     ({"prepay_pct": D(1), "prepay_months": 3}, "prepay_pct")],
)  # fmt: skip
def test_prepayment_terms_are_checked(changes: dict[str, object], field: str) -> None:
    with pytest.raises(LendingInputError) as refused:
        Terms(D(100000), D("0.12"), 12, date(2026, 1, 1), **changes)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_a_loans_filter_is_all_or_a_status_a_loan_can_have() -> None:
    from evergreen.lending.errors import LendingInputError
    from evergreen.lending.rules import LOAN_STATUSES, check_loan_status

    assert check_loan_status("") == ""
    assert [check_loan_status(f" {s.upper()} ") for s in LOAN_STATUSES] == list(LOAN_STATUSES)
    with pytest.raises(LendingInputError) as refused:
        check_loan_status("closed")
    assert refused.value.field == "status"
