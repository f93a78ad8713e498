"""The ledger's pure rules: inputs, balance, capital charge by day, residual income, value."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.rules import (
    BANK,
    CAPITAL,
    Figure,
    Figures,
    Leg,
    Rates,
    StreamKind,
    capital_charge,
    check_account,
    check_balanced,
    check_capital_left,
    check_name,
    daily_figures,
    estimate_persistence,
    figure_of,
    figures_for,
    parse_amount,
    parse_date,
    parse_hours,
    residual_income,
    reversal_of,
    total,
    trailing_year,
    value_of,
)
from evergreen.ledger.rules.value import check_own_rates

D = Decimal


def test_capital_charge_counts_each_days_closing_balance_including_that_days_entries() -> None:
    start, end = date(2026, 1, 1), date(2026, 1, 10)
    # 1,000 before the period; +365 on day 3; -730 on day 8 (end of day balances:
    # days 1-2: 1000, days 3-7: 1365, days 8-10: 635).
    changes = {date(2026, 1, 3): D(365), date(2026, 1, 8): D(-730)}
    expected = (2 * D(1000) + 5 * D(1365) + 3 * D(635)) * D("0.10") / D(365)
    assert capital_charge(D(1000), changes, start, end, D("0.10")) == expected


def test_capital_charge_ignores_changes_outside_the_period() -> None:
    changes = {date(2025, 12, 31): D(5000), date(2026, 2, 1): D(5000)}
    assert capital_charge(D(0), changes, date(2026, 1, 1), date(2026, 1, 31), D("0.1")) == 0


def test_a_whole_year_of_constant_capital_costs_exactly_the_required_return() -> None:
    charge = capital_charge(D(10_000), {}, date(2025, 1, 1), date(2025, 12, 31), D("0.08"))
    assert charge == D(800)


def test_residual_income_charges_costs_time_and_capital() -> None:
    assert residual_income(D(1000), D(100), D(250), D("12.5")) == D("637.5")


def test_figures_for_a_period_combine_hours_rate_and_capital() -> None:
    figures = figures_for(
        income=D(2000), costs=D(300), hours=D(10), opening_capital=D(36_500),
        capital_changes={}, start=date(2026, 3, 1), end=date(2026, 3, 10),
        rates=Rates(D(40), D("0.1")),
    )  # fmt: skip
    assert figures.owner_time_charge == D(400)
    assert figures.capital_charge == D(100)  # 36,500 x 10 days x 0.1 / 365
    assert figures.residual_income == D(1200)


def test_a_period_that_runs_backwards_is_refused() -> None:
    with pytest.raises(LedgerInputError) as caught:
        figures_for(
            income=D(0), costs=D(0), hours=D(0), opening_capital=D(0), capital_changes={},
            start=date(2026, 2, 1), end=date(2026, 1, 1), rates=Rates(D(1), D(0)),
        )  # fmt: skip
    assert caught.value.field == "to"


def test_stream_rates_override_the_owners_only_where_set() -> None:
    owner = Rates(D(50), D("0.08"))
    assert owner.override(None, None) == owner
    assert owner.override(D(20), None) == Rates(D(20), D("0.08"))
    assert owner.override(None, D("0.2")) == Rates(D(50), D("0.2"))


def test_figures_round_to_cents_half_up_and_never_show_minus_zero() -> None:
    shown = Figures(income=D("0.005"), costs=D("-0.004"), residual_income=D("2.675")).rounded()
    assert (shown.income, shown.costs, shown.residual_income) == (D("0.01"), D("0.00"), D("2.68"))
    assert str(shown.costs) == "0.00"


def test_balanced_transactions_pass_and_unbalanced_ones_name_the_difference() -> None:
    check_balanced([Leg(BANK, D(10), "USD"), Leg("Income:Other", D(-10), "USD")])
    with pytest.raises(LedgerInputError, match=r"\+1 USD"):
        check_balanced([Leg(BANK, D(11), "USD"), Leg("Income:Other", D(-10), "USD")])
    with pytest.raises(LedgerInputError, match="at least two"):
        check_balanced([Leg(BANK, D(0), "USD")])
    with pytest.raises(LedgerInputError, match="is 0"):
        check_balanced([Leg(BANK, D(0), "USD"), Leg("Income:Other", D(0), "USD")])


def test_each_currency_must_balance_on_its_own() -> None:
    with pytest.raises(LedgerInputError, match="EUR"):
        check_balanced([Leg(BANK, D(10), "USD"), Leg("Income:Other", D(-10), "EUR")])


@pytest.mark.parametrize(
    "name",
    ["Income", "Revenue:Sales", "Income:sales", "Income:", "Assets:Bank Account", "Income:Sales:"],
)
def test_account_names_follow_plain_text_accounting(name: str) -> None:
    with pytest.raises(LedgerInputError):
        check_account(name)


def test_accounts_decide_which_figure_a_posting_counts_in() -> None:
    assert figure_of("Income:Royalties") is Figure.INCOME
    assert figure_of("Expenses:Hosting") is Figure.COSTS
    assert figure_of(CAPITAL) is Figure.CAPITAL
    assert figure_of("Equity:Capital:Loans") is Figure.CAPITAL
    assert figure_of("Equity:Opening-Balances") is None
    assert figure_of(BANK) is None


def test_daily_figures_turn_credits_into_positive_income_and_capital() -> None:
    legs = [
        Leg(BANK, D(100), "USD", 1), Leg("Income:Sales", D(-100), "USD", 1),
        Leg("Expenses:Fees", D(3), "USD", 1), Leg(BANK, D(-3), "USD", 1),
        Leg(BANK, D(500), "USD", 2), Leg(CAPITAL, D(-500), "USD", 2),
    ]  # fmt: skip
    day = date(2026, 1, 1)
    assert daily_figures(day, legs) == {
        (1, day, "USD"): (D(100), D(3), D(0), 2),
        (2, day, "USD"): (D(0), D(0), D(500), 1),
    }


@pytest.mark.parametrize(
    ("text", "field"),
    [("2026-02-30", "date"), ("26-01-01", "date"), ("01/02/2026", "date"), ("", "date")],
)
def test_dates_must_be_real_iso_days(text: str, field: str) -> None:
    with pytest.raises(LedgerInputError) as caught:
        parse_date(text)
    assert caught.value.field == field


@pytest.mark.parametrize("text", ["abc", "NaN", "Infinity", "0", "-5", "1e999", "0.00001",
                                  "1234567890123456"])  # fmt: skip
def test_amounts_refuse_what_cannot_be_money(text: str) -> None:
    with pytest.raises(LedgerInputError) as caught:
        parse_amount(text)
    assert caught.value.field == "amount"


def test_amounts_keep_their_exact_decimal_value() -> None:
    assert parse_amount("1200.50") == D("1200.50")
    assert parse_amount("-1000", signed=True) == D(-1000)
    with pytest.raises(LedgerInputError):
        parse_amount("0", signed=True)


@pytest.mark.parametrize("text", ["0", "-1", "24.01", "x"])
def test_hours_are_more_than_zero_and_at_most_a_day(text: str) -> None:
    with pytest.raises(LedgerInputError):
        parse_hours(text)


def test_stream_names_and_kinds_are_checked() -> None:
    assert check_name("  My   blog ") == "My blog"
    with pytest.raises(LedgerInputError):
        check_name("   ")
    with pytest.raises(LedgerInputError):
        check_name("x" * 101)
    assert StreamKind.parse("Partner-Program") is StreamKind.PARTNER_PROGRAM
    with pytest.raises(LedgerInputError, match="affiliate"):
        StreamKind.parse("crypto")


def test_value_capitalises_next_years_ri_with_persistence() -> None:
    assert value_of(D(10_000), D(1_100), D("0.10"), D(0)) == D(11_000)
    assert value_of(D(0), D(600), D("0.10"), D("0.5")) == D(1000)
    with pytest.raises(LedgerInputError):
        value_of(D(0), D(1), D("0.1"), D("1.5"))


def test_a_streams_own_rates_must_leave_it_a_value() -> None:
    check_own_rates(D("0.01"), D(1))  # 1 + r - ω = 0.01
    check_own_rates(D(0), None)  # ω still estimated, or r from the defaults: checked when valued
    check_own_rates(None, D(1))
    with pytest.raises(LedgerInputError) as refused:
        check_own_rates(D(0), D(1))
    assert refused.value.field == "persistence"
    assert "1 + r - ω ≤ 0" in refused.value.message


def test_the_trailing_year_is_365_days_ending_on_the_day() -> None:
    start, end = trailing_year(date(2026, 3, 1))
    assert end == date(2026, 3, 1)
    assert (end - start).days + 1 == 365


def test_persistence_is_estimated_from_monthly_decay() -> None:
    monthly = [D(1000) * D("0.9") ** n for n in range(12)]
    estimate = estimate_persistence(monthly)
    assert estimate is not None
    assert estimate.monthly == pytest.approx(0.9)
    assert estimate.omega == pytest.approx(0.9**12)
    assert estimate.r_squared == pytest.approx(1.0)
    assert estimate_persistence(monthly[:5]) is None
    assert estimate_persistence([D(0)] * 12) is None
    growing = estimate_persistence([D(100 * (n + 1)) for n in range(12)])
    assert growing is not None
    assert growing.omega == 1.0


# Properties ---------------------------------------------------------------------------------

_money = st.decimals(min_value=D("-100000"), max_value=D("100000"), places=2).filter(
    lambda v: v != 0
)
_accounts = st.sampled_from(
    ["Assets:Bank", "Income:Sales", "Expenses:Fees", "Equity:Capital", "Liabilities:Card"]
)


@st.composite
def _transactions(draw: st.DrawFn) -> list[Leg]:
    """Random balanced transactions: n legs, the last one balancing the rest per currency."""
    legs = [
        Leg(draw(_accounts), draw(_money), draw(st.sampled_from(["USD", "EUR"])),
            draw(st.sampled_from([1, 2, None])))
        for _ in range(draw(st.integers(1, 5)))
    ]  # fmt: skip
    for currency in {leg.currency for leg in legs}:
        rest = sum((leg.amount for leg in legs if leg.currency == currency), D(0))
        if rest != 0:
            legs.append(Leg(draw(_accounts), -rest, currency, draw(st.sampled_from([1, None]))))
    if len(legs) < 2:
        amount = draw(_money)
        legs = [Leg(BANK, amount, "USD", 1), Leg("Income:Sales", -amount, "USD", 1)]
    return legs


@given(_transactions())
def test_every_generated_transaction_balances(legs: list[Leg]) -> None:
    check_balanced(legs)
    check_balanced(reversal_of(legs))


@given(st.lists(_transactions(), min_size=1, max_size=6), st.integers(0, 5))
def test_a_reversal_restores_every_balance(transactions: list[list[Leg]], which: int) -> None:
    def balances(all_legs: list[Leg]) -> dict[tuple[str, str, int | None], Decimal]:
        out: dict[tuple[str, str, int | None], Decimal] = {}
        for leg in all_legs:
            key = (leg.account, leg.currency, leg.stream_id)
            out[key] = out.get(key, D(0)) + leg.amount
        return {k: v for k, v in out.items() if v != 0}

    before = [leg for legs in transactions for leg in legs]
    undone = transactions[which % len(transactions)]
    after = [*before, *reversal_of(undone)]
    expected = [leg for i, legs in enumerate(transactions) if i != which % len(transactions)
                for leg in legs]  # fmt: skip
    assert balances(after) == balances(expected)


_figures = st.builds(
    Figures,
    *(st.decimals(min_value=D(-(10**6)), max_value=D(10**6), places=4) for _ in range(6)),
)


@given(st.lists(_figures, max_size=8))
def test_report_totals_equal_the_sum_of_streams(streams: list[Figures]) -> None:
    summed = total(streams)
    for name in ("income", "costs", "hours", "owner_time_charge", "capital_charge",
                 "residual_income"):  # fmt: skip
        assert getattr(summed, name) == sum((getattr(f, name) for f in streams), D(0))


@given(
    st.decimals(min_value=D(0), max_value=D(10**7), places=2),
    st.decimals(min_value=D(-(10**6)), max_value=D(10**6), places=2),
    st.decimals(min_value=D(0), max_value=D(1), places=4),
)
def test_value_with_no_persistence_is_capital_plus_discounted_ri(
    capital: Decimal, ri: Decimal, rate: Decimal
) -> None:
    assert value_of(capital, ri, rate, D(0)) == capital + ri / (1 + rate)


@given(
    st.decimals(min_value=D(-(10**6)), max_value=D(10**6), places=2),
    st.dictionaries(
        st.integers(0, 40).map(lambda n: date(2026, 1, 1) + timedelta(days=n)),
        st.decimals(min_value=D(-(10**5)), max_value=D(10**5), places=2),
        max_size=10,
    ),
    st.integers(0, 30),
    st.integers(0, 30),
)
def test_capital_charge_of_a_period_is_the_sum_of_its_days(
    opening: Decimal, changes: dict[date, Decimal], a: int, b: int
) -> None:
    start = date(2026, 1, 1) + timedelta(days=min(a, b))
    end = date(2026, 1, 1) + timedelta(days=max(a, b))
    rate = D("0.073")
    whole = capital_charge(opening, changes, start, end, rate)
    by_day = D(0)
    for n in range((end - start).days + 1):
        day = start + timedelta(days=n)
        before = opening + sum((v for d, v in changes.items() if start <= d < day), D(0))
        by_day += capital_charge(before, changes, day, day, rate)
    assert abs(whole - by_day) < D("1e-18")


_MOVES = {date(2026, 1, 1): D(1000), date(2026, 3, 1): D(-600)}


@pytest.mark.parametrize(
    ("opening", "on", "change", "refused"),
    [
        (D(1000), date(2026, 2, 1), D(-400), None),  # 400 left after March's 600
        (D(1000), date(2026, 2, 1), D(-401), "takes 401.00 USD of capital out, but the stream "
         "holds 400.00 USD on 2026-03-01"),  # March's 600 would go below 0
        (D(0), date(2025, 12, 31), D(-1), "holds 0.00 USD on 2025-12-31"),  # nothing in yet
        (D(400), date(2026, 3, 2), D(-400), None),  # all of it, nothing below 0
        (D(400), date(2026, 3, 2), D("-400.0001"), "holds 400.00 USD on 2026-03-02"),
        (D(0), date(2025, 12, 1), D(500), None),  # putting in is never refused
    ],
)  # fmt: skip
def test_capital_taken_out_may_not_leave_the_stream_below_zero_then_or_later(
    opening: Decimal, on: date, change: Decimal, refused: str | None
) -> None:
    moves = {day: amount for day, amount in _MOVES.items() if day >= on}
    moves[on] = moves.get(on, D(0)) + change  # as the rollup holds it once posted
    if refused is None:
        check_capital_left(opening, moves, {on: change}, "USD")
        return
    with pytest.raises(LedgerInputError) as error:
        check_capital_left(opening, moves, {on: change}, "USD")
    assert error.value.field == "amount"
    assert refused in error.value.message
