"""The dated loan model: schedule, draws, payoff quotes and the lender's XIRR, by hand."""

from __future__ import annotations

import calendar
import json
import math
from dataclasses import fields, replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evergreen.finance.cashflows import irr, xnpv
from evergreen.finance.errors import FinanceInputError
from evergreen.finance.loans import balance, lender_yield, payment
from evergreen.finance.loans.daycount import DayCount
from evergreen.finance.loans.schedule import (
    LoanTerms,
    lender_cash_flows,
    lender_xirr,
    payoff_quote,
    schedule,
)

START = date(2024, 1, 1)
REHAB_DRAWS = [(date(2024, 2, 16), 30_000.0), (date(2024, 4, 1), 20_000.0)]


def rehab(**changes: object) -> LoanTerms:
    """200k commitment at 10% actual/360 for 6 months, 50k held back for two draws."""
    terms: dict[str, object] = {
        "principal": 200_000.0,
        "annual_rate": 0.10,
        "term_months": 6,
        "start_date": START,
        "day_count": "actual/360",
        "draws": REHAB_DRAWS,
    }
    terms.update(changes)
    return LoanTerms(**terms)  # type: ignore[arg-type]


@st.composite
def loan_terms(draw: st.DrawFn) -> LoanTerms:
    """Random but valid notes, interest-only or amortising, under every day count."""
    term = draw(st.integers(min_value=1, max_value=36))
    return LoanTerms(
        principal=draw(st.floats(min_value=10_000, max_value=2_000_000)),
        annual_rate=draw(st.floats(min_value=0.0, max_value=0.25)),
        term_months=term,
        start_date=draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))),
        amortization_months=draw(st.none() | st.integers(min_value=term, max_value=360)),
        points=draw(st.floats(min_value=0.0, max_value=5.0)),
        points_financed=draw(st.booleans()),
        day_count=draw(st.sampled_from(["30/360", "actual/360", "actual/365"])),
    )


def test_interest_only_schedule_and_the_contract_yield_agree() -> None:
    """100k at 12% IO, 30/360: 1,000 a month then 101,000; monthly IRR x 12 is ~20.27%."""
    terms = LoanTerms(100_000, 0.12, 3, date(2024, 1, 15), points=2.0)
    rows = schedule(terms).rows
    assert [row.payment for row in rows] == [1000.0, 1000.0, 101_000.0]
    assert [row.days for row in rows] == [30, 30, 30]
    assert rows[-1].balloon == 100_000.0
    flows = lender_cash_flows(terms)
    assert flows[0] == (date(2024, 1, 15), -98_000.0)
    monthly = irr([amount for _, amount in flows])
    assert monthly * 12 == pytest.approx(lender_yield(100_000, 0.12, 3, points=2.0), rel=1e-12)


def test_amortising_schedule_matches_the_closed_forms() -> None:
    """Loop schedule (30/360, day 10) vs closed-form payment and balance, with a 5-year balloon."""
    terms = LoanTerms(200_000, 0.06, 60, date(2024, 1, 10), amortization_months=360)
    rows = schedule(terms).rows
    level = payment(200_000, 0.06, 360)
    for row in rows[:-1]:
        assert row.payment == pytest.approx(level, rel=1e-12)
        assert row.balance == pytest.approx(balance(200_000, 0.06, 360, row.period), rel=1e-10)
    assert rows[-1].payment == pytest.approx(level + balance(200_000, 0.06, 360, 60), rel=1e-10)
    assert rows[-1].balance == 0.0


def test_actual_day_counts_by_hand() -> None:
    """100k at 9% from Jan 15, 2024: 31 then 29 days; /360: 775, 725; /365: 764.38, 715.07."""
    a360 = schedule(LoanTerms(100_000, 0.09, 2, date(2024, 1, 15), day_count="actual/360")).rows
    a365 = schedule(LoanTerms(100_000, 0.09, 2, date(2024, 1, 15), day_count="actual/365")).rows
    assert [row.days for row in a360] == [31, 29]
    assert [round(row.interest, 2) for row in a360] == [775.00, 725.00]
    assert [round(row.interest, 2) for row in a365] == [764.38, 715.07]


def test_draws_accrue_from_their_dates() -> None:
    """Non-Dutch: 150k funded; 30k drawn Feb 16 earns 14 days in February; 20k from Apr 1."""
    rows = schedule(rehab()).rows
    expected = [
        150_000 * 0.10 * 31 / 360,
        150_000 * 0.10 * 29 / 360 + 30_000 * 0.10 * 14 / 360,
        180_000 * 0.10 * 31 / 360,
        200_000 * 0.10 * 30 / 360,
        200_000 * 0.10 * 31 / 360,
        200_000 * 0.10 * 30 / 360,
    ]
    assert [row.interest for row in rows] == pytest.approx(expected, rel=1e-12)
    assert [round(row.interest, 2) for row in rows[:2]] == [1291.67, 1325.00]
    assert [row.draws for row in rows] == [0.0, 30_000.0, 20_000.0, 0.0, 0.0, 0.0]
    assert [row.balance for row in rows] == [150_000.0, 180_000.0] + [200_000.0] * 3 + [0.0]
    assert rows[-1].principal == 200_000.0


def test_dutch_interest_charges_the_whole_commitment() -> None:
    """Dutch: every period earns on 200k from closing, drawn or not, so it costs more."""
    dutch = schedule(rehab(dutch_interest=True))
    days = [31, 29, 31, 30, 31, 30]
    assert [row.interest for row in dutch.rows] == pytest.approx(
        [200_000 * 0.10 * d / 360 for d in days], rel=1e-12
    )
    assert dutch.total_interest > schedule(rehab()).total_interest


def test_financed_points_are_owed_not_paid() -> None:
    """Rolled-in points: borrower owes 102k and pays interest on it; lender still lends 100k."""
    terms = LoanTerms(100_000, 0.12, 3, date(2024, 1, 15), points=2.0, points_financed=True)
    assert [row.payment for row in schedule(terms).rows] == pytest.approx([1020, 1020, 103_020])
    assert lender_cash_flows(terms)[0] == (date(2024, 1, 15), -100_000.0)


def test_payoff_mid_period_by_hand() -> None:
    """Feb 15 paid, payoff Mar 1: 16 days under 30/360 (533.33), 15 under actual/360 (500)."""
    start = date(2024, 1, 15)
    quote = payoff_quote(LoanTerms(100_000, 0.12, 6, start), date(2024, 3, 1))
    assert (quote.payments_made, quote.accrual_days, quote.principal) == (1, 16, 100_000.0)
    assert round(quote.accrued_interest, 2) == 533.33
    assert round(quote.total, 2) == 100_533.33
    actual = payoff_quote(
        LoanTerms(100_000, 0.12, 6, start, day_count="actual/360"), date(2024, 3, 1)
    )
    assert actual.accrual_days == 15
    assert actual.accrued_interest == pytest.approx(500.0, rel=1e-12)


def test_payoff_with_a_missed_payment_by_hand() -> None:
    """Mar 1 missed, payoff Mar 20: interest from Feb 1, 8% default premium from Mar 1, 5% fee."""
    terms = rehab(default_rate=0.18, late_fee_rate=0.05)
    quote = payoff_quote(terms, date(2024, 3, 20), payments_made=1)
    assert quote.principal == 180_000.0
    # 150k for 48 days plus the 30k draw for 33 days, at 10% actual/360.
    assert quote.accrued_interest == pytest.approx(
        150_000 * 0.1 * 48 / 360 + 30_000 * 0.1 * 33 / 360
    )
    assert quote.default_from == date(2024, 3, 1)
    assert quote.default_interest == pytest.approx(180_000 * 0.08 * 19 / 360)
    assert quote.late_fees == pytest.approx(0.05 * 1325.0)
    assert quote.missed_payments == 1
    assert round(quote.total, 2) == 183_101.25


def test_payoff_inside_the_grace_period_has_no_penalty() -> None:
    """Nine days late with ten days' grace: interest only, no fee, no default rate."""
    terms = rehab(default_rate=0.18, late_fee_rate=0.05, late_fee_flat=25.0)
    quote = payoff_quote(terms, date(2024, 3, 10), payments_made=1)
    assert (quote.late_fees, quote.default_interest, quote.default_from) == (0.0, 0.0, None)
    late = payoff_quote(terms, date(2024, 3, 12), payments_made=1)
    assert late.late_fees == pytest.approx(0.05 * 1325.0 + 25.0)


def test_payoff_after_maturity_by_hand() -> None:
    """Balloon missed: 80 days' interest from Jun 1, 50 days' default premium from Jul 1, fee."""
    terms = rehab(default_rate=0.18, late_fee_rate=0.05)
    quote = payoff_quote(terms, date(2024, 8, 20), payments_made=5)
    assert quote.accrued_interest == pytest.approx(200_000 * 0.1 * 80 / 360)
    assert quote.default_interest == pytest.approx(200_000 * 0.08 * 50 / 360)
    assert quote.late_fees == pytest.approx(0.05 * 200_000 * 0.1 * 30 / 360)
    assert quote.total == pytest.approx(206_750.0)
    paid = payoff_quote(terms, date(2024, 8, 20))
    assert paid.total == 0.0


@settings(max_examples=60)
@given(loan_terms(), st.data())
def test_payoff_on_a_due_date_is_the_scheduled_balance(
    terms: LoanTerms, data: st.DataObject
) -> None:
    """Property: right after payment k the payoff is the schedule's balance, nothing accrued."""
    rows = schedule(terms).rows
    k = data.draw(st.integers(min_value=1, max_value=len(rows)))
    quote = payoff_quote(terms, rows[k - 1].date)
    assert quote.principal == pytest.approx(rows[k - 1].balance, rel=1e-12, abs=1e-9)
    assert quote.accrued_interest == 0.0


@settings(max_examples=60)
@given(loan_terms())
def test_principal_repaid_is_everything_lent(terms: LoanTerms) -> None:
    """Property: principal payments add up to the opening balance; the last balance is 0."""
    rows = schedule(terms).rows
    assert math.fsum(row.principal for row in rows) == pytest.approx(terms.opening_balance)
    assert rows[-1].balance == 0.0
    assert all(row.payment == pytest.approx(row.interest + row.principal) for row in rows)


@settings(max_examples=40)
@given(loan_terms())
def test_lender_xirr_zeroes_the_xnpv(terms: LoanTerms) -> None:
    """Property: discounting the lender's flows at their XIRR leaves nothing."""
    flows = lender_cash_flows(terms)
    rate = lender_xirr(terms)
    assert xnpv(rate, flows) == pytest.approx(0.0, abs=1e-6 * terms.principal)


def test_early_payoff_makes_points_earn_more() -> None:
    """Paid off after 2 of 12 months, 2 points are earned over less time: higher XIRR."""
    terms = LoanTerms(100_000, 0.12, 12, date(2024, 1, 15), points=2.0)
    early = date(2024, 3, 15)
    flows = lender_cash_flows(terms, payoff_on=early)
    assert flows[-1] == (early, 100_000.0)
    assert lender_xirr(terms, payoff_on=early) > lender_xirr(terms) > 0.12


def test_results_are_json_safe() -> None:
    """Terms, schedules and quotes serialise to JSON and keep dates as ISO strings."""
    terms = rehab(default_rate=0.18, late_fee_rate=0.05)
    text = json.dumps(
        [
            terms.to_dict(),
            schedule(terms).to_dict(),
            payoff_quote(terms, date(2024, 3, 20), payments_made=1).to_dict(),
        ]
    )
    assert '"2024-02-16"' in text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"draws": [(date(2024, 2, 1), 10_000.0)], "amortization_months": 12}, "draws"),
        ({"draws": [(date(2024, 9, 1), 10_000.0)]}, "draws"),
        ({"draws": [(START, 10_000.0)]}, "draws"),
        ({"draws": [(date(2024, 2, 1), 250_000.0)]}, "draws"),
        ({"draws": [(date(2024, 2, 1), -5.0)]}, "draws"),
        ({"day_count": "act/act"}, "day_count"),
        ({"default_rate": 0.05}, "default_rate"),
        ({"amortization_months": 3}, "amortization_months"),
        ({"term_months": 0}, "term_months"),
        ({"late_fee_rate": 5.0}, "late_fee_rate"),
        ({"grace_days": -1}, "grace_days"),
        ({"principal": float("nan")}, "principal"),
    ],
)
def test_bad_terms_name_the_field(changes: dict[str, object], field: str) -> None:
    """Each impossible note is refused on creation, naming what to fix."""
    with pytest.raises(FinanceInputError) as caught:
        rehab(**changes)
    assert caught.value.field == field


def test_bad_payoff_requests_are_refused() -> None:
    """Payoff before the loan starts, or more payments than are due, is a mistake."""
    terms = rehab()
    with pytest.raises(FinanceInputError) as caught:
        payoff_quote(terms, START - timedelta(days=1))
    assert caught.value.field == "on_date"
    with pytest.raises(FinanceInputError) as caught:
        payoff_quote(terms, date(2024, 3, 20), payments_made=3)
    assert caught.value.field == "payments_made"


@pytest.mark.parametrize(("rate", "level"), [(0.12, 1028.61), (0.06, 599.55)])
def test_month_end_amortising_loan_is_repaid_exactly(rate: float, level: float) -> None:
    """100k over 360 months from Jan 31, 30/360: 30-day periods, level to the end, balance 0."""
    terms = LoanTerms(100_000, rate, 360, date(2024, 1, 31), amortization_months=360)
    rows = schedule(terms).rows
    assert {row.days for row in rows} == {30}
    assert [row.date for row in rows[:3]] == [
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
    ]
    assert {round(row.payment, 2) for row in rows} == {level}
    assert all(row.payment >= 0 and row.interest >= 0 and row.balance >= 0 for row in rows)
    assert rows[-1].balance == 0.0
    assert round(math.fsum(row.principal for row in rows), 2) == 100_000.00


def test_30_360_payment_dates_count_as_the_payment_day() -> None:
    """From Jan 31: Feb 29 counts as the 30th; a payoff on Mar 15 accrues 15 days, not 16."""
    terms = LoanTerms(100_000, 0.12, 6, date(2024, 1, 31))
    assert [row.days for row in schedule(terms).rows] == [30] * 6
    quote = payoff_quote(terms, date(2024, 3, 15))
    assert (quote.payments_made, quote.accrual_days) == (1, 15)
    assert quote.accrued_interest == pytest.approx(500.0, rel=1e-12)


def test_interest_above_the_level_payment_is_paid_not_capitalised() -> None:
    """100% actual/365: a 31-day month's interest beats the level payment; principal stays >= 0."""
    terms = LoanTerms(
        100_000, 1.0, 360, date(2024, 1, 31), amortization_months=360, day_count="actual/365"
    )
    rows = schedule(terms).rows
    march = rows[1]  # Feb 29 to Mar 31: 31 days at 100% is more than the level 8,333.33
    assert march.principal == 0.0
    assert march.payment == march.interest == pytest.approx(rows[0].balance * 31 / 365)
    assert all(row.principal >= 0 and row.balance >= 0 for row in rows)
    assert math.isfinite(lender_xirr(terms))


def test_a_loan_repaid_early_has_no_late_payments_after() -> None:
    """Once repaid, the remaining rows are zero and a payoff quote charges no late fees."""
    terms = LoanTerms(100_000, 1.0, 360, date(2024, 1, 31), 360, late_fee_flat=25.0)
    terms = replace(terms, day_count="actual/365")
    rows = schedule(terms).rows
    repaid = next(row for row in rows if row.balance == 0.0)
    assert repaid.period < 360
    quote = payoff_quote(terms, rows[-1].date, payments_made=repaid.period)
    assert (quote.total, quote.missed_payments) == (0.0, 0)


def _late_in_month(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


START_DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)) | st.builds(
    _late_in_month, st.integers(2000, 2040), st.integers(1, 12), st.integers(28, 31)
)


@settings(max_examples=300, deadline=None)
@given(
    START_DATES,
    st.sampled_from(["30/360", "actual/360", "actual/365"]),
    st.floats(min_value=0.0, max_value=0.30),
    st.integers(min_value=1, max_value=360),
    st.data(),
)
def test_amortising_loans_never_overpay_and_end_at_zero(
    start: date, convention: DayCount, rate: float, term: int, data: st.DataObject
) -> None:
    """Property: balances, interest and payments stay >= 0 and principal repaid is the loan."""
    amortization = data.draw(st.integers(min_value=term, max_value=360))
    terms = LoanTerms(250_000, rate, term, start, amortization, day_count=convention)
    rows = schedule(terms).rows
    assert all(row.balance >= 0 and row.interest >= 0 and row.principal >= 0 for row in rows)
    assert all(row.payment >= 0 and row.balloon >= 0 for row in rows)
    assert rows[-1].balance == 0.0
    assert math.fsum(row.principal for row in rows) == pytest.approx(250_000, abs=0.005)
    if convention == "30/360":
        assert {row.days for row in rows} == {30}


@settings(max_examples=150, deadline=None)
@given(
    START_DATES,
    st.sampled_from(["30/360", "actual/360", "actual/365"]),
    st.floats(min_value=0.0, max_value=1.0),
    st.integers(min_value=1, max_value=360),
    st.floats(min_value=0.0, max_value=99.99),
    st.data(),
)
def test_lender_xirr_is_a_yield_or_names_a_term(
    start: date, convention: DayCount, rate: float, term: int, points: float, data: st.DataObject
) -> None:
    """Property: at any rate the yield is finite, or the error names a LoanTerms field."""
    amortization = data.draw(st.none() | st.integers(min_value=term, max_value=360))
    terms = LoanTerms(1e6, rate, term, start, amortization, points, day_count=convention)
    try:
        outcome: float | str = lender_xirr(terms)
    except FinanceInputError as error:
        outcome = error.field
    if isinstance(outcome, str):
        assert outcome in {spec.name for spec in fields(LoanTerms)}
    else:
        assert math.isfinite(outcome)


def test_lender_xirr_without_a_yield_says_so_and_names_the_input() -> None:
    """99.99 points for a month, or a payoff before anything is lent: no yield, named input."""
    with pytest.raises(FinanceInputError) as caught:
        lender_xirr(LoanTerms(100_000, 1.0, 1, date(2024, 1, 31), points=99.99))
    assert caught.value.field == "points"
    assert "no yield" in caught.value.message
    all_drawn = rehab(draws=[(date(2024, 2, 5), 200_000.0)])
    with pytest.raises(FinanceInputError) as caught:
        lender_xirr(all_drawn, payoff_on=START)
    assert caught.value.field == "payoff_on"
    assert "no yield" in caught.value.message
