"""The household's pure rules, without a database: inputs, the month's budget, the VA test on
it, and progress to financial independence."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.household.errors import HouseholdInputError
from evergreen.household.rules import (
    Budget,
    DebtDraft,
    DebtLine,
    ExpenseCategory,
    ExpenseDraft,
    ExpenseLine,
    Home,
    IncomeDraft,
    IncomeKind,
    IncomeLine,
    ProfileDraft,
    StreamMonth,
    TaxTreatment,
    budget_of,
    distributions_of,
    independence,
    is_passive,
    monthly_growth,
    parse_family_size,
    parse_money,
    parse_month,
    parse_region,
    parse_tax_rate,
    passive_income,
    personal,
    va_test,
)

D = Decimal


def _refused(field: str, call: object, *args: object) -> str:
    with pytest.raises(HouseholdInputError) as error:
        call(*args)  # type: ignore[operator]
    assert error.value.field == field
    return error.value.message


# --- inputs ---------------------------------------------------------------------------------


def test_amounts_are_read_as_people_write_them_and_refused_with_the_field_named() -> None:
    assert parse_money("1,234.50", "amount") == D("1234.50")
    assert parse_money("0", "balance") == 0
    assert "must not be negative" in _refused("amount", parse_money, "-5", "amount")
    assert "ambiguous" in _refused("amount", parse_money, "4,200", "amount")
    assert "is not a number" in _refused("amount", parse_money, "lots", "amount")
    assert "more than 0" in _refused("payment", lambda: parse_money("0", "payment", positive=True))
    assert "decimal places" in _refused("amount", parse_money, "1.23456", "amount")


@pytest.mark.parametrize(
    ("text", "rate"), [("0.25", D("0.25")), ("25%", D("0.25")), ("12.5 %", D("0.125")), ("0", D(0))]
)
def test_a_tax_rate_is_a_fraction_or_a_percentage(text: str, rate: Decimal) -> None:
    assert parse_tax_rate(text) == rate


@pytest.mark.parametrize("text", ["1", "100%", "-0.1", "a quarter", "0.1234567", "NaN"])
def test_a_tax_rate_outside_0_to_100_percent_is_refused(text: str) -> None:
    _refused("tax_rate", parse_tax_rate, text)


def test_family_size_region_and_month_are_checked() -> None:
    assert parse_family_size("4") == 4
    for bad in ("0", "31", "two"):
        _refused("family_size", parse_family_size, bad)
    assert parse_region(" tx ") == "TX"
    assert parse_region("west") == "West"
    assert parse_region("") is None
    assert "two-letter code" in _refused("region", parse_region, "ZZ")
    assert parse_month("2026-03") == date(2026, 3, 1)
    for bad in ("2026-3", "2026-13", "March", "2026-03-01"):
        assert "YYYY-MM" in _refused("month", parse_month, bad)
    assert parse_month("1900-01") == date(1900, 1, 1)
    assert parse_month("2999-12") == date(2999, 12, 1)
    for edge in ("0001-01", "1899-12", "3000-01", "9999-12"):
        assert "between 1900-01 and 2999-12" in _refused("month", parse_month, edge)


def test_an_income_says_how_it_is_taxed_and_withholding_goes_with_withheld_only() -> None:
    draft = IncomeDraft.parse(" Day  job ", "Salary", "4200", "withheld", "630")
    assert draft == IncomeDraft("Day job", IncomeKind.SALARY, D(4200), TaxTreatment.WITHHELD,
                                D(630))  # fmt: skip
    assert IncomeDraft.parse("Gigs", "freelance", "900", "owed").withheld == 0
    _refused("withheld", IncomeDraft.parse, "Job", "salary", "4200", "withheld", "")
    _refused("withheld", IncomeDraft.parse, "Gigs", "freelance", "900", "owed", "100")
    assert "more than the income" in _refused(
        "withheld", IncomeDraft.parse, "Job", "salary", "100", "withheld", "101"
    )
    _refused("kind", IncomeDraft.parse, "Job", "wages", "100", "none")
    _refused("tax", IncomeDraft.parse, "Job", "salary", "100", "later")
    _refused("name", IncomeDraft.parse, "  ", "salary", "100", "none")
    _refused("amount", IncomeDraft.parse, "Job", "salary", "0", "none")


def test_debts_expenses_and_the_household_are_checked() -> None:
    assert DebtDraft.parse("Car", "350", "12,000.00") == DebtDraft("Car", D(350), D(12000))
    _refused("payment", DebtDraft.parse, "Car", "", "100")
    assert ExpenseDraft.parse("Child care", "400", "Nursery").category is ExpenseCategory.CHILDCARE
    _refused("category", ExpenseDraft.parse, "holidays", "100")
    profile = ProfileDraft.parse("3", "tx", "1800", "250,000.00", "25%")
    assert profile == ProfileDraft(3, "TX", D(1800), D(250000), D("0.25"))
    assert ProfileDraft.parse("1", "", "", "", "") == ProfileDraft()
    _refused("loan_amount", ProfileDraft.parse, "1", "", "", "0", "")
    _refused("square_feet", ProfileDraft.parse, "1", "", "2000000", "", "")


# --- the month's budget -----------------------------------------------------------------------


def _stream(name: str, income: str, costs: str, hours: str, *, passive: bool = True,
            counted: bool = True) -> StreamMonth:  # fmt: skip
    return StreamMonth(name, "USD" if counted else "EUR", D(income), D(costs), D(hours), None,
                       passive, counted)  # fmt: skip


INCOMES = [
    IncomeLine(1, "Job", IncomeKind.SALARY, D(5000), TaxTreatment.WITHHELD, D(800)),
    IncomeLine(2, "Gigs", IncomeKind.FREELANCE, D(1000), TaxTreatment.OWED, D(0)),
    IncomeLine(3, "Gift", IncomeKind.OTHER, D(100), TaxTreatment.NONE, D(0)),
]
DEBTS = [DebtLine(1, "Car", D(300), D(9000)), DebtLine(2, "Card", D(100), D(2000))]
EXPENSES = [
    ExpenseLine(1, ExpenseCategory.HOUSING, "Mortgage", D(1600)),
    ExpenseLine(2, ExpenseCategory.FOOD, "", D(700)),
    ExpenseLine(3, ExpenseCategory.CHILDCARE, "", D(250)),
    ExpenseLine(4, ExpenseCategory.JOB, "Commute", D(50)),
]


def test_streams_distribute_their_net_income_and_never_a_loss() -> None:
    streams = [_stream("Blog", "900", "100", "2"), _stream("Shop", "300", "500", "20"),
               _stream("Euro", "5000", "0", "1", counted=False)]  # fmt: skip
    assert distributions_of(streams) == D(600)
    assert distributions_of([_stream("Shop", "300", "500", "20")]) == 0


def test_the_budget_taxes_withheld_owed_and_distributed_income() -> None:
    budget = budget_of(INCOMES, D(600), DEBTS, EXPENSES, D("0.25"))
    assert budget == Budget(
        incomes=D(6100), distributions=D(600), gross_income=D(6700),
        taxes=D(800) + D(250) + D(150), debt_payments=D(400), living_expenses=D(2600),
    )  # fmt: skip
    assert budget.spending == D(3000)
    result = personal(budget)
    assert result.residual == pytest.approx(6700 - 1200 - 400 - 2600)
    assert result.net_income == pytest.approx(5500)


def test_the_va_test_sees_housing_child_care_job_costs_and_debts_as_va_counts_them() -> None:
    budget = budget_of(INCOMES, D(600), DEBTS, EXPENSES, D("0.25"))
    outcome = va_test(budget, Home(4, "TX", D(2000), D(250000)), EXPENSES, "USD")
    assert outcome.missing == ()
    assert outcome.result is not None
    # Independently: gross - taxes - housing - $0.14/sq ft - debts - child care - job costs.
    expected = 6700 - 1200 - 1600 - 0.14 * 2000 - 400 - 250 - 50
    assert outcome.result.residual_income == pytest.approx(expected)
    assert outcome.result.guideline == 1003  # South, family of 4, loans of $80,000 and above
    assert outcome.result.dti_percent == round((1600 + 400 + 250) / 6700 * 100)
    assert outcome.result.passes is (expected >= 1003)


def test_the_va_test_fails_a_household_below_the_guideline() -> None:
    budget = budget_of(
        [IncomeLine(1, "Job", IncomeKind.SALARY, D(3000), TaxTreatment.WITHHELD, D(450))],
        D(0), [DebtLine(1, "Car", D(200), D(0))],
        [ExpenseLine(1, ExpenseCategory.HOUSING, "", D(1400))], D(0),
    )  # fmt: skip
    outcome = va_test(budget, Home(5, "West", D(1500), D(200000)), [
        ExpenseLine(1, ExpenseCategory.HOUSING, "", D(1400))], "USD")  # fmt: skip
    assert outcome.result is not None
    assert outcome.result.guideline == 1158
    assert outcome.result.residual_income == pytest.approx(3000 - 450 - 1400 - 210 - 200)
    assert outcome.result.passes is False


def test_the_va_test_says_what_it_still_needs() -> None:
    empty = budget_of([], D(0), [], [], D(0))
    outcome = va_test(empty, Home(1, None, None, None), [], "EUR")
    assert outcome.result is None
    assert outcome.missing == (
        "amounts in US dollars (the ledger's currency is EUR)", "the region or state",
        "the home's living area in square feet", "the home loan amount", "an income",
    )  # fmt: skip


# --- independence ---------------------------------------------------------------------------


def test_a_stream_is_passive_under_the_threshold_and_passive_income_is_net() -> None:
    assert is_passive(D("4.99"), D(5))
    assert not is_passive(D(5), D(5))
    streams = [_stream("Blog", "900", "100", "2"), _stream("Work", "3000", "0", "40",
               passive=False), _stream("Euro", "50", "0", "0", counted=False)]  # fmt: skip
    assert passive_income(streams) == D(800)


def test_the_trend_is_the_compound_growth_of_the_months_with_passive_income() -> None:
    grown = [D(100) * D("1.1") ** i for i in range(6)]
    assert monthly_growth(grown) == pytest.approx(0.1)
    assert monthly_growth([D(0), D(0), *grown]) == pytest.approx(0.1)  # before it started
    assert monthly_growth([D(100), D(0), D(100)]) is None  # two months tell no trend
    assert monthly_growth([D(400), D(200), D(100)]) == pytest.approx(-0.5)


def test_independence_counts_months_at_the_trend() -> None:
    history = [D(100) * D("1.1") ** i for i in range(-11, 1)]
    fi = independence(D(100), D(1000), history)
    assert fi.share == D("0.1")
    assert fi.months == 25  # 100 x 1.1^24 = 985 < 1000 <= 100 x 1.1^25 = 1083
    assert not fi.covered
    covered = independence(D(1200), D(1000), [D(1200)])
    assert covered.covered
    assert covered.months == 0
    flat = independence(D(500), D(1000), [D(500)] * 12)
    assert flat.growth == pytest.approx(0)
    assert flat.months is None
    assert independence(D(500), D(1000), [D(500)]).months is None  # no trend yet
    nothing_spent = independence(D(500), D(0), [D(500)])
    assert nothing_spent.share is None
    assert nothing_spent.months is None
    assert independence(D(-50), D(1000), [D(-50)]).share == 0


@given(
    passive=st.integers(1, 10_000),
    spending=st.integers(1, 100_000),
    growth=st.integers(1, 300),
)
def test_the_months_are_the_first_month_passive_income_covers_spending(
    passive: int, spending: int, growth: int
) -> None:
    rate = growth / 1000
    history = [D(passive) * D(repr((1 + rate) ** (i - 11))) for i in range(12)]
    history[-1] = D(passive)
    fi = independence(D(passive), D(spending), history)
    assert fi.growth is not None
    months = fi.months
    assert months is not None
    grown = [passive * (1 + fi.growth) ** m for m in (months - 1, months)]
    assert grown[1] >= spending * (1 - 1e-9)
    assert months == 0 or grown[0] < spending * (1 + 1e-9) or math.isclose(grown[0], spending)
