"""JSON routes for the finance models: parse → model → result, for the owner and staff."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter

from evergreen.finance.interfaces import schemas as s
from evergreen.web.deps import ApiStaff

__all__ = ["router"]

router = APIRouter(prefix="/finance", tags=["finance"])
Json = dict[str, Any]


def _answer(run: Callable[[], Any]) -> Json:
    """Run one model; its input errors (overflow included) answer 422 through the app's mapping."""
    result: Mapping[str, object] = s.run_model(lambda: s.to_json(run()))
    return dict(result)


@router.post("/residual-income", operation_id="value_residual_income")
def residual_income(body: s.ResidualIncomeRequest, _staff: ApiStaff) -> Json:
    """Multistage RI value per share: book value, per-year residual income and the bridge."""
    return _answer(body.run)


@router.post("/single-stage", operation_id="value_single_stage")
def single_stage(body: s.SingleStageRequest, _staff: ApiStaff) -> Json:
    """Value when ROE and growth hold forever: B0 + (ROE - r)·B0/(r - g)."""
    return _answer(body.run)


@router.post("/justified-price-to-book", operation_id="find_justified_price_to_book")
def justified_price_to_book(body: s.JustifiedPriceToBookRequest, _staff: ApiStaff) -> Json:
    """The P/B single-stage RI justifies: (ROE - g)/(r - g)."""
    return _answer(body.run)


@router.post("/implied-growth", operation_id="find_implied_growth")
def implied_growth(body: s.ImpliedGrowthRequest, _staff: ApiStaff) -> Json:
    """The perpetual growth a market price bakes in."""
    return _answer(body.run)


@router.post("/implied-cost-of-equity", operation_id="find_implied_cost_of_equity")
def implied_cost_of_equity(body: s.ImpliedCostOfEquityRequest, _staff: ApiStaff) -> Json:
    """The return a market price offers, given ROE and growth."""
    return _answer(body.run)


@router.post("/eva", operation_id="compute_eva")
def eva(body: s.EvaRequest, _staff: ApiStaff) -> Json:
    """EVA on all capital (WACC given or built from weights), and equity residual income."""
    return _answer(body.run)


@router.post("/household/va", operation_id="check_va_residual_income")
def household_va(body: s.VaTestRequest, _staff: ApiStaff) -> Json:
    """The VA home-loan residual income test, with the reasons a loan officer would write."""
    return _answer(body.run)


@router.post("/household/residual-income", operation_id="compute_household_residual_income")
def household_residual_income(body: s.HouseholdResidualIncomeRequest, _staff: ApiStaff) -> Json:
    """What a household keeps each month after taxes, debts and living costs."""
    return _answer(body.run)


@router.post("/loans/schedule", operation_id="schedule_loan")
def loan_schedule(body: s.LoanScheduleRequest, _staff: ApiStaff) -> Json:
    """A note's dated payment schedule and the lender's XIRR (effective annual)."""
    return _answer(body.run)


@router.post("/loans/yield", operation_id="compute_loan_yield")
def loan_yield(body: s.LoanYieldRequest, _staff: ApiStaff) -> Json:
    """Nominal annual yield (monthly IRR x 12) once points cut the cash lent."""
    return _answer(body.run)


@router.post("/loans/payoff", operation_id="quote_loan_payoff")
def loan_payoff(body: s.LoanPayoffRequest, _staff: ApiStaff) -> Json:
    """What closes the loan on a date: principal, interest, default interest, late fees."""
    return _answer(body.run)


@router.post("/simulate", operation_id="simulate_passive_vs_active")
def simulate(body: s.SimulateRequest, _staff: ApiStaff) -> Json:
    """Passive versus active income, Monte Carlo (at most 200,000 paths here)."""
    return _answer(body.run)
