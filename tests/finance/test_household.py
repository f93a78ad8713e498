"""Personal residual income, the VA residual income test and months to independence."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.finance.errors import FinanceInputError
from evergreen.finance.household import (
    STATE_REGIONS,
    VAHousehold,
    evaluate_va,
    months_to_financial_independence,
    personal_residual_income,
    va_guideline,
)

BRIEF_REGIONS = {
    "Northeast": "CT ME MA NH NJ NY PA RI VT",
    "Midwest": "IL IN IA KS MI MN MO NE ND OH SD WI",
    "South": "AL AR DE DC FL GA KY LA MD MS NC OK PR SC TN TX VA WV",
    "West": "AK AZ CA CO HI ID MT NV NM OR UT WA WY",
}


def test_personal_residual_income_by_hand() -> None:
    """6,000 gross - 1,200 tax - 900 debts - 2,500 living = 1,400 left; net pay is 4,800."""
    result = personal_residual_income(6_000, 1_200, 900, 2_500)
    assert (result.net_income, result.residual) == (4_800.0, 1_400.0)
    assert personal_residual_income(3_000, 500, 1_000, 2_000).residual == -500.0
    assert json.loads(json.dumps(result.to_dict()))["residual"] == 1_400.0


@pytest.mark.parametrize(
    ("where", "size", "loan", "expected"),
    [
        ("NY", 1, 79_999, 390),
        ("ny", 1, 80_000, 450),
        ("OH", 3, 150_000, 889),
        ("midwest", 5, 50_000, 902),
        ("CA", 4, 400_000, 1117),
        ("west", 2, 79_999.99, 713),
        ("TX", 6, 250_000, 1039 + 80),
        ("tx", 7, 250_000, 1039 + 2 * 80),
        ("PR", 6, 60_000, 902 + 75),
        ("Northeast", 9, 300_000, 1062 + 4 * 80),
    ],
)
def test_va_guideline_table(where: str, size: int, loan: float, expected: int) -> None:
    """VA Pamphlet 26-7 ch. 4 residual income table, both loan bands, sizes past 5 and past 7."""
    assert va_guideline(where, size, loan) == expected


def test_every_state_is_in_the_right_region() -> None:
    """The state-to-region map is exactly the one in the VA table's footnote (52 codes)."""
    expected = {s: region for region, states in BRIEF_REGIONS.items() for s in states.split()}
    assert expected == STATE_REGIONS
    assert len(STATE_REGIONS) == 52


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        (("XX", 3, 100_000), "state", "TX"),
        (("Pacific", 3, 100_000), "state", "Northeast"),
        (("TX", 0, 100_000), "family_size", "at least 1"),
        (("TX", 2.5, 100_000), "family_size", "whole number"),
        (("TX", 3, 0), "loan_amount", "above 0"),
        (("TX", 3, float("inf")), "loan_amount", "finite"),
    ],
)
def test_va_guideline_refuses_bad_input(args: tuple[object, ...], field: str, words: str) -> None:
    """Unknown states list the valid codes; sizes and amounts say what is allowed."""
    with pytest.raises(FinanceInputError, match=words) as caught:
        va_guideline(*args)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_evaluate_va_worked_example() -> None:
    """Texas family of four, by hand: 7,000 - 1,135.50 - 1,900 - 280 - 450 - 300 - 100 = 2,834.50.

    Guideline (South, $80,000 and above, 4 people) is 1,003; DTI = 2,650 / 7,000 = 37.86% -> 38%.
    """
    household = VAHousehold(
        gross_monthly_income=7_000,
        housing_payment=1_900,
        family_size=4,
        state="tx",
        loan_amount=250_000,
        square_feet=2_000,
        other_debts=450,
        child_care=300,
        job_expenses=100,
        federal_income_tax=600,
        social_security=434,
        medicare=101.50,
    )
    result = evaluate_va(household)
    assert result.region == "South"
    assert result.guideline == 1003
    assert result.maintenance_utilities == pytest.approx(280.0)
    assert result.residual_income == pytest.approx(2_834.50)
    assert result.margin == pytest.approx(1_831.50)
    assert result.dti == pytest.approx(2_650 / 7_000)
    assert result.dti_percent == 38
    assert (result.offset_required, result.passes) == (False, True)
    assert "within the 41% limit" in result.reasons[1]
    assert json.loads(json.dumps(result.to_dict()))["guideline"] == 1003


def test_high_dti_passes_with_the_120_percent_offset() -> None:
    """Ohio, 3 people: DTI 2,500/6,000 = 41.67% -> 42%; residual 2,390 >= 1.2 x 889 = 1,066.80."""
    result = evaluate_va(
        VAHousehold(6_000, 2_000, 3, "OH", 300_000, 1_500, other_debts=500, total_taxes=900)
    )
    assert result.residual_income == pytest.approx(2_390.0)
    assert (result.dti_percent, result.offset_required, result.passes) == (42, True, True)
    assert "120% offset is met" in result.reasons[1]


def _west_family_of_five(obligations: float, residual: float) -> VAHousehold:
    """West, 5 people, big loan (guideline 1,158, 120% = 1,389.60), 10,000 gross, 350 upkeep.

    Taxes are set by hand so the residual comes out at the wanted figure.
    """
    return VAHousehold(
        gross_monthly_income=10_000,
        housing_payment=3_000,
        family_size=5,
        state="WA",
        loan_amount=400_000,
        square_feet=2_500,
        other_debts=obligations - 3_000,
        total_taxes=10_000 - obligations - 350 - residual,
    )


@pytest.mark.parametrize(
    ("obligations", "percent", "offset_required", "passes"),
    [
        (4_100, 41, False, True),  # exactly 41%: within the limit
        (4_149, 41, False, True),  # 41.49% rounds to 41 (38 CFR 36.4340(d))
        (4_150, 42, True, False),  # 41.5% rounds to 42: needs 1,389.60, has 1,300
    ],
)
def test_dti_boundary_at_41_percent(
    obligations: float, percent: int, offset_required: bool, passes: bool
) -> None:
    """Residual 1,300 clears the guideline but not 120% of it; only the ratio decides."""
    result = evaluate_va(_west_family_of_five(obligations, 1_300))
    assert result.dti_percent == percent
    assert (result.offset_required, result.passes) == (offset_required, passes)


@pytest.mark.parametrize(("residual", "passes"), [(1_389.60, True), (1_389.59, False)])
def test_offset_boundary_at_exactly_120_percent(residual: float, passes: bool) -> None:
    """At 45% DTI the residual must reach 1.2 x 1,158 = 1,389.60: exactly that passes."""
    result = evaluate_va(_west_family_of_five(4_500, residual))
    assert result.offset_required
    assert result.passes is passes
    assert ("120% offset is met" in result.reasons[1]) is passes


@pytest.mark.parametrize(("residual", "passes"), [(1_158.00, True), (1_157.99, False)])
def test_guideline_boundary(residual: float, passes: bool) -> None:
    """At a low ratio, a residual exactly at the guideline passes and a cent short fails."""
    result = evaluate_va(_west_family_of_five(3_000, residual))
    assert result.passes is passes
    assert (" above the West guideline" in result.reasons[0]) is passes


def test_taxes_given_twice_are_refused() -> None:
    """Total taxes and the parts together would double count."""
    with pytest.raises(FinanceInputError) as caught:
        VAHousehold(5_000, 1_500, 2, "TX", 200_000, 1_200, federal_income_tax=300, total_taxes=900)
    assert caught.value.field == "total_taxes"


def test_zero_income_is_refused_before_dividing() -> None:
    """A ratio over zero income means nothing; ask for the income."""
    with pytest.raises(FinanceInputError) as caught:
        VAHousehold(0, 1_500, 2, "TX", 200_000, 1_200)
    assert caught.value.field == "gross_monthly_income"


def test_months_to_independence_by_hand() -> None:
    """1,000 growing 1% a month reaches 2,000 after ceil(ln 2 / ln 1.01) = ceil(69.66) = 70."""
    assert months_to_financial_independence(1_000, 2_000, 0.01) == 70
    assert months_to_financial_independence(2_500, 2_000, 0.0) == 0
    assert months_to_financial_independence(1_000, 2_000, 0.0) is None
    assert months_to_financial_independence(1_000, 2_000, 0.01, expense_inflation=0.02) is None
    assert months_to_financial_independence(0, 2_000, 0.05) is None


@given(
    st.floats(min_value=1, max_value=10_000),
    st.floats(min_value=1, max_value=50_000),
    st.floats(min_value=0.001, max_value=0.2),
    st.floats(min_value=0.0, max_value=0.0009),
)
def test_months_to_independence_matches_a_loop(
    income: float, expenses: float, growth: float, inflation: float
) -> None:
    """Loop reference: grow both a month at a time until income covers expenses."""
    month = 0
    while income * (1 + growth) ** month < expenses * (1 + inflation) ** month:
        month += 1
    assert months_to_financial_independence(income, expenses, growth, inflation) == month
