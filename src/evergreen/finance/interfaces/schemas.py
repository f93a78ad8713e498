"""Request models for the finance API and the CLI's ``--input`` files, and how each one runs.

Field constraints catch the obvious (a negative book value, a probability of 2) before any
model runs; the models themselves still check everything and raise ``FinanceInputError``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol, TypeVar

from pydantic import ConfigDict, Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from evergreen.finance import performance
from evergreen.finance import simulation as sim
from evergreen.finance.errors import FinanceInputError
from evergreen.finance.household import personal as household
from evergreen.finance.residual_income import multistage as ri
from evergreen.isodates import NoUnixTime

if TYPE_CHECKING:  # the loan models pull in scipy; imported when a loan request runs
    from evergreen.finance.loans import schedule as loan_schedule

__all__ = [
    "MAX_API_PATHS",
    "MAX_MONTHS",
    "MONEY_PLACES",
    "OTHER_PLACES",
    "EvaRequest",
    "HouseholdResidualIncomeRequest",
    "ImpliedCostOfEquityRequest",
    "ImpliedGrowthRequest",
    "JustifiedPriceToBookRequest",
    "LoanPayoffRequest",
    "LoanScheduleRequest",
    "LoanTermsRequest",
    "LoanYieldRequest",
    "LocalSimulateRequest",
    "ResidualIncomeRequest",
    "ScheduleWithYield",
    "SimulateRequest",
    "SingleStageRequest",
    "ToDict",
    "VaTestRequest",
    "run_model",
    "to_json",
]

MAX_API_PATHS = 200_000
MAX_DOLLARS = 1e12
MAX_MONTHS = 1200  # evergreen.finance.MAX_MONTHS (a test keeps them equal)
# A note's dates: its last payment (up to MAX_MONTHS on) stays on the calendar.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)
R = TypeVar("R")


class ToDict(Protocol):
    """A library result: each one knows its JSON-safe view."""

    def to_dict(self) -> Mapping[str, object]: ...


def _check_finite(value: object) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise FinanceInputError("input", "the result is not a finite number; check magnitudes")
    if isinstance(value, Mapping):
        for item in value.values():
            _check_finite(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_finite(item)


def run_model(run: Callable[[], R]) -> R:
    """Run one model; arithmetic it cannot do (an overflow) is the input's fault, said so."""
    try:
        return run()
    except ArithmeticError:
        raise FinanceInputError(
            "input", "the numbers overflow; check units and magnitudes"
        ) from None


# Figures in dollars, rounded to cents in answers; every other figure (rates, ratios, factors,
# months, hours) keeps 6 decimal places. A key not listed here takes its parent's kind, so the
# percentiles under "npv" are money and those under "breakeven_month" are months.
MONEY_PLACES = 2
OTHER_PLACES = 6
_MONEY_KEYS = frozenset(
    {
        "value", "beginning_book_value", "earnings", "dividends", "other_comprehensive_income",
        "book_value", "residual_income", "pv_residual_income", "terminal_value",
        "pv_terminal_value", "bridge", "cash_flows", "present_values", "nopat", "capital",
        "capital_charge", "eva", "equity_residual_income", "margin", "maintenance_utilities",
        "taxes", "gross_income", "debt_payments", "living_expenses", "net_income", "residual",
        "gross_monthly_income", "housing_payment", "other_debts", "child_care", "job_expenses",
        "federal_income_tax", "state_income_tax", "social_security", "medicare", "total_taxes",
        "loan_amount", "guideline", "principal", "interest", "balloon", "payment", "balance",
        "draws", "total_interest", "total_paid", "accrued_interest", "default_interest",
        "late_fees", "total", "late_fee_flat", "amount", "freelance_rate",
        "peak_revenue_median", "monthly_costs", "npv", "pv_forgone_build_income",
        "invested_capital", "residual_income_monthly", "residual_income_pv",
    }
)  # fmt: skip
_NOT_MONEY_KEYS = frozenset({"breakeven_month", "inputs", "rows", "schedule"})


def _rounded(value: object, money: bool) -> object:
    """Round floats as documented: dollars to cents, everything else to 6 places."""
    if isinstance(value, float):
        if abs(value) >= 1e15:  # no digits after the point left to round
            return value
        # Half up on the shortest decimal form (3.175 -> 3.18), as money.cents rounds.
        step = Decimal(1).scaleb(-(MONEY_PLACES if money else OTHER_PLACES))
        return float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP)) + 0.0
    if isinstance(value, Mapping):
        return {
            key: _rounded(
                item,
                True if key in _MONEY_KEYS else False if key in _NOT_MONEY_KEYS else money,
            )
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_rounded(item, money) for item in value]
    return value


def to_json(result: ToDict | Mapping[str, object]) -> dict[str, Any]:
    """A result as plain JSON-safe values, rounded as the README documents (dollars to cents,
    rates and other figures to 6 decimal places); refuses NaN and infinity rather than emit
    them."""
    data = dict(result) if isinstance(result, Mapping) else dict(result.to_dict())
    _check_finite(data)
    rounded = _rounded(data, False)
    assert isinstance(rounded, dict)
    return rounded


def _per_year(value: object) -> float | list[float]:
    """One number for every year, or one number per year (pydantic can't say which it was)."""
    items = value if isinstance(value, list | tuple) and value else [value]
    numbers: list[float] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | float) or not math.isfinite(item):
            raise PydanticCustomError(
                "per_year", "must be one number for every year, or a list of one per year"
            )
        numbers.append(float(item))
    return numbers if isinstance(value, list | tuple) else numbers[0]


PerYear = Annotated[
    float | list[float],
    PlainValidator(_per_year),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "array", "items": {"type": "number"}}]}),
]
Years = Annotated[list[float], Field(min_length=1, max_length=ri.MAX_HORIZON)]
Rate = Annotated[float, Field(gt=-1, le=1, description="Decimal rate: 0.10 means 10%.")]
Dollars = Annotated[float, Field(ge=0, le=MAX_DOLLARS, description="Monthly dollars.")]


class _Request(NoUnixTime):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ResidualIncomeRequest(_Request):
    """A multistage residual income valuation: earnings and dividends, or ROE and payout."""

    book_value: float = Field(gt=0, description="Book value per share today, B0.")
    cost_of_equity: Rate
    earnings: Years | None = Field(None, description="Earnings per share, one per year.")
    dividends: Years | None = Field(None, description="Dividends per share, one per year.")
    roe: PerYear | None = Field(None, description="Return on beginning equity, or one a year.")
    payout: PerYear | None = Field(None, description="Share of earnings paid out, 0 to 1.")
    horizon: int | None = Field(None, ge=1, le=ri.MAX_HORIZON, description="Years, with roe.")
    continuing: ri.Continuing = Field("none", description="Residual income after the horizon.")
    persistence: float | None = Field(None, ge=0, le=1, description="ω, with 'persistence'.")
    terminal_price_to_book: float | None = Field(None, ge=0, description="With 'price_to_book'.")
    other_comprehensive_income: Years | None = Field(None, description="OCI per year.")

    def run(self) -> ri.ResidualIncomeValuation:
        """Value per share with every step of the bridge."""
        options = self.model_dump(exclude={"book_value", "cost_of_equity"})
        return ri.value(self.book_value, self.cost_of_equity, **options)


class SingleStageRequest(_Request):
    """Constant ROE and growth forever."""

    book_value: float = Field(gt=0, description="Book value per share today, B0.")
    roe: float = Field(gt=-1, description="Long-run return on equity: 0.12 means 12%.")
    cost_of_equity: Rate
    growth: Rate

    def run(self) -> dict[str, float]:
        """V0 = B0 + (ROE - r)·B0/(r - g), and the P/B it amounts to."""
        value = ri.single_stage(self.book_value, self.roe, self.cost_of_equity, self.growth)
        return {"value": value, "price_to_book": value / self.book_value}


class JustifiedPriceToBookRequest(_Request):
    """The P/B that single-stage residual income justifies."""

    roe: float = Field(gt=-1, description="Long-run return on equity: 0.12 means 12%.")
    cost_of_equity: Rate
    growth: Rate

    def run(self) -> dict[str, float]:
        """(ROE - g)/(r - g)."""
        pb = ri.justified_price_to_book(self.roe, self.cost_of_equity, self.growth)
        return {"justified_price_to_book": pb}


class ImpliedGrowthRequest(_Request):
    """The growth rate a market price implies, single-stage."""

    price: float = Field(gt=0, description="Market price per share.")
    book_value: float = Field(gt=0, description="Book value per share today, B0.")
    roe: float = Field(gt=-1, description="Long-run return on equity: 0.12 means 12%.")
    cost_of_equity: Rate

    def run(self) -> dict[str, float]:
        """g = r - (ROE - r)·B0/(P - B0)."""
        g = ri.implied_growth(self.price, self.book_value, self.roe, self.cost_of_equity)
        return {"implied_growth": g}


class ImpliedCostOfEquityRequest(_Request):
    """The return a market price offers, single-stage."""

    price: float = Field(gt=0, description="Market price per share.")
    book_value: float = Field(gt=0, description="Book value per share today, B0.")
    roe: float = Field(gt=-1, description="Long-run return on equity: 0.12 means 12%.")
    growth: Rate

    def run(self) -> dict[str, float]:
        """r = g + (ROE - g)·B0/P."""
        r = ri.implied_cost_of_equity(self.price, self.book_value, self.roe, self.growth)
        return {"implied_cost_of_equity": r}


_WACC_PARTS = ("equity_weight", "debt_weight", "pre_tax_cost_of_debt")


class EvaRequest(_Request):
    """EVA on all capital, and optionally residual income on equity alone."""

    capital: float = Field(ge=0, description="Invested capital (debt and equity).")
    nopat: float | None = Field(None, description="Operating profit after tax; or ebit.")
    ebit: float | None = Field(None, description="Operating profit before tax, with tax_rate.")
    tax_rate: float | None = Field(None, ge=0, lt=1, description="0.30 means 30%.")
    wacc: float | None = Field(None, gt=-1, le=1, description="Or the weights and costs below.")
    equity_weight: float | None = Field(None, ge=0, le=1, description="Equity share of capital.")
    debt_weight: float | None = Field(None, ge=0, le=1, description="Debt share of capital.")
    preferred_weight: float = Field(0.0, ge=0, le=1, description="Preferred share of capital.")
    cost_of_equity: float | None = Field(None, gt=-1, le=1, description="r_e: 0.10 is 10%.")
    pre_tax_cost_of_debt: float | None = Field(None, gt=-1, le=1, description="r_d before tax.")
    cost_of_preferred: float = Field(0.0, gt=-1, le=1, description="r_p.")
    net_income: float | None = Field(None, description="For equity residual income.")
    equity: float | None = Field(None, ge=0, description="Book equity, for equity RI.")

    def _need(self, name: str, why: str) -> float:
        value = getattr(self, name)
        if value is None:
            raise FinanceInputError(name, why)
        return float(value)

    def _nopat(self) -> float:
        if self.nopat is not None:
            if self.ebit is not None:
                raise FinanceInputError("ebit", "give nopat or ebit with tax_rate, not both")
            return self.nopat
        if self.ebit is None:
            raise FinanceInputError("nopat", "give nopat, or ebit with tax_rate")
        return performance.nopat(self.ebit, self._need("tax_rate", "needed with ebit"))

    def _wacc(self) -> float:
        given = [name for name in _WACC_PARTS if getattr(self, name) is not None]
        if self.wacc is not None:
            if given:
                raise FinanceInputError(given[0], "give wacc or its weights and costs, not both")
            return self.wacc
        why = "needed to compute WACC (or give wacc itself)"
        return performance.wacc(
            equity_weight=self._need("equity_weight", why),
            cost_of_equity=self._need("cost_of_equity", why),
            debt_weight=self._need("debt_weight", why),
            pre_tax_cost_of_debt=self._need("pre_tax_cost_of_debt", why),
            tax_rate=self._need("tax_rate", why),
            preferred_weight=self.preferred_weight,
            cost_of_preferred=self.cost_of_preferred,
        )

    def run(self) -> dict[str, float | None]:
        """NOPAT - WACC·capital, and NI - r_e·equity when net income or equity is given."""
        profit, hurdle = self._nopat(), self._wacc()
        result: dict[str, float | None] = {
            "nopat": profit,
            "wacc": hurdle,
            "capital": self.capital,
            "capital_charge": hurdle * self.capital,
            "eva": performance.economic_value_added(profit, self.capital, hurdle),
            "equity_residual_income": None,
        }
        if self.net_income is not None or self.equity is not None:
            why = "needed for equity residual income"
            result["equity_residual_income"] = performance.equity_residual_income(
                self._need("net_income", why),
                self._need("equity", why),
                self._need("cost_of_equity", why),
            )
        return result


class VaTestRequest(_Request):
    """A veteran's household, monthly dollars, for the VA residual income test."""

    gross_monthly_income: float = Field(gt=0, le=MAX_DOLLARS, description="Before taxes.")
    housing_payment: Dollars = Field(description="Proposed PITI: principal, interest, taxes.")
    family_size: int = Field(ge=1, le=30, description="Everyone in the household.")
    state: str = Field(min_length=2, max_length=20, description="Two-letter code or region.")
    loan_amount: float = Field(gt=0, le=MAX_DOLLARS, description="Picks the guideline band.")
    square_feet: float = Field(ge=0, le=1e6, description="Living area, for upkeep.")
    other_debts: Dollars = 0.0
    child_care: Dollars = 0.0
    job_expenses: Dollars = 0.0
    federal_income_tax: Dollars = 0.0
    state_income_tax: Dollars = 0.0
    social_security: Dollars = 0.0
    medicare: Dollars = 0.0
    total_taxes: float | None = Field(None, ge=0, le=MAX_DOLLARS, description="Or the parts.")

    def run(self) -> household.VAResult:
        """Residual income against the guideline, and the 41% ratio test."""
        return household.evaluate_va(household.VAHousehold(**self.model_dump()))


class HouseholdResidualIncomeRequest(_Request):
    """A household's month: what is left after taxes, debts and living costs."""

    gross_income: Dollars
    taxes: Dollars
    debt_payments: Dollars
    living_expenses: Dollars

    def run(self) -> household.ResidualIncome:
        """Gross less taxes, debts and living costs."""
        return household.personal_residual_income(**self.model_dump())


class DrawIn(_Request):
    """A release of held-back funds."""

    date: dt.date = Field(ge=FIRST_DAY, le=LAST_DAY, description="When the money leaves.")
    amount: float = Field(gt=0, le=MAX_DOLLARS, description="Dollars released.")


class LoanTermsRequest(_Request):
    """A private note's terms."""

    principal: float = Field(gt=0, le=MAX_DOLLARS, description="The commitment, in dollars.")
    annual_rate: float = Field(ge=0, le=1, description="Note rate: 0.12 means 12% a year.")
    term_months: int = Field(ge=1, le=MAX_MONTHS, description="Months to maturity.")
    start_date: dt.date = Field(
        ge=FIRST_DAY, le=LAST_DAY, description="Closing date; payments fall on its day."
    )
    amortization_months: int | None = Field(
        None, ge=1, le=MAX_MONTHS, description="None: interest only."
    )
    points: float = Field(0.0, ge=0, lt=100, description="Percent of principal: 2 is 2%.")
    points_financed: bool = Field(False, description="Points added to the balance.")
    day_count: Literal["30/360", "actual/360", "actual/365"] = "30/360"
    draws: list[DrawIn] = Field(default_factory=list, max_length=1200)
    dutch_interest: bool = Field(False, description="Interest on the whole commitment.")
    default_rate: float | None = Field(None, ge=0, le=1, description="Rate once in default.")
    late_fee_rate: float = Field(0.0, ge=0, le=1, description="Share of a late payment.")
    late_fee_flat: float = Field(0.0, ge=0, le=MAX_DOLLARS, description="Dollars per late one.")
    grace_days: int = Field(10, ge=0, le=36_500, description="Days before a payment is late.")

    def terms(self) -> loan_schedule.LoanTerms:
        """The library's checked terms."""
        from evergreen.finance.loans import schedule as loan_schedule

        fields = self.model_dump(exclude={"draws", "on_date", "payments_made"})
        draws = [(d.date, d.amount) for d in self.draws]
        return loan_schedule.LoanTerms(**fields, draws=draws)


class LoanScheduleRequest(LoanTermsRequest):
    """A private note's terms, for its schedule and yield."""

    def run(self) -> ScheduleWithYield:
        """Every payment, and the lender's XIRR with points and draws."""
        from evergreen.finance.loans import schedule as loan_schedule

        terms = self.terms()
        return ScheduleWithYield(loan_schedule.schedule(terms), loan_schedule.lender_xirr(terms))


@dataclass(frozen=True)
class ScheduleWithYield:
    """A schedule and what it earns the lender (effective annual)."""

    schedule: loan_schedule.LoanSchedule
    lender_xirr: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view."""
        return {**self.schedule.to_dict(), "lender_xirr": self.lender_xirr}


class LoanPayoffRequest(LoanTermsRequest):
    """A note's terms and the day the borrower wants to close it."""

    on_date: dt.date = Field(ge=FIRST_DAY, le=LAST_DAY, description="Payoff date.")
    payments_made: int | None = Field(None, ge=0, description="Default: every one due by then.")

    def run(self) -> loan_schedule.PayoffQuote:
        """Principal, accrued and default interest, and late fees on the date."""
        from evergreen.finance.loans import schedule as loan_schedule

        return loan_schedule.payoff_quote(self.terms(), self.on_date, self.payments_made)


class LoanYieldRequest(_Request):
    """The simple yield contract: level monthly interest (or payments) and points up front."""

    principal: float = Field(gt=0, le=MAX_DOLLARS, description="Dollars lent.")
    annual_rate: float = Field(ge=0, le=1, description="Note rate: 0.12 means 12% a year.")
    months: int = Field(ge=1, le=MAX_MONTHS, description="Term in months.")
    points: float = Field(0.0, ge=0, lt=100, description="Percent of principal: 2 is 2%.")
    amortization_months: int | None = Field(
        None, ge=1, le=MAX_MONTHS, description="None: interest only."
    )

    def run(self) -> dict[str, float]:
        """Monthly IRR x 12 on the lender's net outlay."""
        from evergreen.finance import loans

        return {"lender_yield": loans.lender_yield(**self.model_dump())}


_D = sim.PassiveVsActive()


class SimulateRequest(_Request):
    """Build a product unpaid, or sell the same hours? (defaults: a part-time online course)."""

    build_months: int = Field(_D.build_months, ge=0, le=1200, description="Unpaid build.")
    hours_per_month: float = Field(_D.hours_per_month, ge=0, le=744, description="Build hours.")
    freelance_rate: float = Field(_D.freelance_rate, ge=0, le=1e6, description="$ an hour.")
    success_probability: float = Field(_D.success_probability, ge=0, le=1)
    ramp_months: int = Field(_D.ramp_months, ge=0, le=1200, description="Months to peak.")
    peak_revenue_median: float = Field(_D.peak_revenue_median, gt=0, le=MAX_DOLLARS)
    peak_revenue_sigma: float = Field(_D.peak_revenue_sigma, ge=0, le=5, description="Log-sd.")
    persistence: float = Field(_D.persistence, ge=0, le=1, description="Kept each month.")
    churn: float = Field(_D.churn, ge=0, lt=1, description="Monthly chance it dies.")
    monthly_costs: float = Field(_D.monthly_costs, ge=0, le=MAX_DOLLARS)
    maintenance_hours: float = Field(_D.maintenance_hours, ge=0, le=744)
    discount_rate: float = Field(_D.discount_rate, ge=0, le=0.5, description="Monthly.")
    horizon_months: int = Field(_D.horizon_months, ge=1, le=1200)
    paths: int = Field(100_000, ge=1, le=MAX_API_PATHS, description="Monte Carlo paths.")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Same seed, same draws.")

    def run(self) -> sim.SimulationResult:
        """NPV spread, odds that passive wins, break-even months, residual income view."""
        inputs = sim.PassiveVsActive(**self.model_dump(exclude={"paths", "seed"}))
        return sim.simulate(inputs, self.paths, self.seed)


class LocalSimulateRequest(SimulateRequest):
    """The same bet run on this machine (the CLI), where more paths cost only the caller's time."""

    paths: int = Field(100_000, ge=1, le=10_000_000, description="Monte Carlo paths.")
