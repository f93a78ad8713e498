"""The finance pages' calculators: one per API route, grouped as the dashboard shows them, each
with its request model (the API's), its form fields with example values, and how it is shown."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from evergreen.errors import NotFound
from evergreen.finance.interfaces import results as show
from evergreen.finance.interfaces import schemas as s
from evergreen.finance.interfaces.forms import FormField as F
from evergreen.finance.interfaces.results import Shown

__all__ = ["GROUPS", "Calculator", "Group", "find"]

_RATE = "a decimal: 0.10 means 10%"
_YEARS = "one number a year, separated by commas or spaces (no thousands separators)"


@dataclass(frozen=True)
class Calculator:
    """One model on a page: the API route it mirrors, its form, and how its answer is shown."""

    slug: str
    title: str
    summary: str
    api_path: str
    request: type[BaseModel]
    fields: Sequence[F]
    present: Callable[[dict[str, Any], Any], Shown]

    def examples(self) -> dict[str, str]:
        """The form as first shown: a worked example."""
        return {field.name: field.example for field in self.fields}


@dataclass(frozen=True)
class Group:
    """A page: calculators that answer one question."""

    slug: str
    title: str
    summary: str
    calculators: Sequence[Calculator]


def _plain(present: Callable[[dict[str, Any]], Shown]) -> Callable[[dict[str, Any], Any], Shown]:
    return lambda result, _request: present(result)


_SIM = s.SimulateRequest.model_fields


def _sim(name: str, label: str, hint: str = "", kind: Any = "number") -> F:
    return F(name, label, kind, str(_SIM[name].default), hint)


_LOAN_TERMS = (
    F("principal", "Principal", example="100000", hint="the commitment, in dollars"),
    F("annual_rate", "Note rate", example="0.12", hint=_RATE + " a year"),
    F("term_months", "Term (months)", "whole", "24"),
    F("start_date", "Closing date", "date", "2026-01-15", "payments fall on its day"),
    F("amortization_months", "Amortised over (months)", "whole", "", "blank: interest only"),
    F("points", "Points", example="2", hint="percent of principal: 2 is 2%"),
    F("points_financed", "Points added to the balance", "check"),
    F("day_count", "Day count", "choice", "30/360", choices=("30/360", "actual/360", "actual/365")),
    F("dutch_interest", "Interest on the whole commitment (Dutch)", "check"),
    F("default_rate", "Default rate", example="0.24", hint=_RATE + "; blank: the note rate"),
    F("late_fee_rate", "Late fee (share of the payment)", example="0.05", hint=_RATE),
    F("late_fee_flat", "Late fee (dollars)", example="0"),
    F("grace_days", "Grace days", "whole", "10"),
)

VALUATION = Group(
    "valuation",
    "Residual income valuation",
    "What a share is worth when equity must earn its cost: multistage and single-stage "
    "residual income, the multiples and rates a price implies, and EVA.",
    [
        Calculator(
            "residual-income",
            "Multistage residual income",
            "Book value plus the present value of each year's residual income, with the bridge.",
            "/api/v1/finance/residual-income",
            s.ResidualIncomeRequest,
            [
                F("book_value", "Book value per share B0", example="6.00"),
                F("cost_of_equity", "Cost of equity r", example="0.10", hint=_RATE),
                F("earnings", "Earnings per share", "numbers", "2.00, 2.50, 4.00", _YEARS),
                F("dividends", "Dividends per share", "numbers", "1.00, 1.25, 12.25", _YEARS),
                F(
                    "roe",
                    "Or: return on equity",
                    "per_year",
                    "",
                    "instead of earnings: one rate, or one a year",
                ),
                F("payout", "Payout ratio", "per_year", "", "with ROE: share of earnings paid"),
                F("horizon", "Horizon (years)", "whole", "", "with ROE"),
                F(
                    "continuing",
                    "After the horizon",
                    "choice",
                    "none",
                    choices=("none", "perpetuity", "persistence", "price_to_book"),
                ),
                F("persistence", "Persistence ω", example="", hint="with persistence, 0 to 1"),
                F(
                    "terminal_price_to_book",
                    "Terminal price to book",
                    example="",
                    hint="with price_to_book",
                ),
                F(
                    "other_comprehensive_income",
                    "Other comprehensive income",
                    "numbers",
                    "",
                    _YEARS,
                ),
            ],
            _plain(show.residual_income),
        ),
        Calculator(
            "single-stage",
            "Single-stage value",
            "V0 = B0 + (ROE - r)·B0 / (r - g): return on equity and growth held forever.",
            "/api/v1/finance/single-stage",
            s.SingleStageRequest,
            [
                F("book_value", "Book value per share B0", example="20"),
                F("roe", "Return on equity", example="0.12", hint=_RATE),
                F("cost_of_equity", "Cost of equity r", example="0.10", hint=_RATE),
                F("growth", "Growth g", example="0.05", hint=_RATE),
            ],
            lambda result, request: show.single_stage(result, book_value=request.book_value),
        ),
        Calculator(
            "justified-price-to-book",
            "Justified price to book",
            "(ROE - g) / (r - g): the multiple single-stage residual income supports.",
            "/api/v1/finance/justified-price-to-book",
            s.JustifiedPriceToBookRequest,
            [
                F("roe", "Return on equity", example="0.12", hint=_RATE),
                F("cost_of_equity", "Cost of equity r", example="0.10", hint=_RATE),
                F("growth", "Growth g", example="0.05", hint=_RATE),
            ],
            _plain(show.justified_price_to_book),
        ),
        Calculator(
            "implied-growth",
            "Implied growth",
            "The perpetual growth a market price bakes in.",
            "/api/v1/finance/implied-growth",
            s.ImpliedGrowthRequest,
            [
                F("price", "Market price per share", example="30"),
                F("book_value", "Book value per share B0", example="20"),
                F("roe", "Return on equity", example="0.12", hint=_RATE),
                F("cost_of_equity", "Cost of equity r", example="0.10", hint=_RATE),
            ],
            _plain(show.implied_growth),
        ),
        Calculator(
            "implied-cost-of-equity",
            "Implied cost of equity",
            "The return a market price offers, given return on equity and growth.",
            "/api/v1/finance/implied-cost-of-equity",
            s.ImpliedCostOfEquityRequest,
            [
                F("price", "Market price per share", example="30"),
                F("book_value", "Book value per share B0", example="20"),
                F("roe", "Return on equity", example="0.12", hint=_RATE),
                F("growth", "Growth g", example="0.05", hint=_RATE),
            ],
            _plain(show.implied_cost_of_equity),
        ),
        Calculator(
            "eva",
            "Economic value added",
            "Operating profit after tax less a charge for all the capital it used.",
            "/api/v1/finance/eva",
            s.EvaRequest,
            [
                F("capital", "Invested capital", example="1000"),
                F("nopat", "NOPAT", example="120", hint="or EBIT with a tax rate"),
                F("ebit", "EBIT", example=""),
                F("tax_rate", "Tax rate", example="", hint=_RATE),
                F("wacc", "WACC", example="0.09", hint=_RATE + "; or the weights below"),
                F("equity_weight", "Equity weight", example=""),
                F("debt_weight", "Debt weight", example=""),
                F("pre_tax_cost_of_debt", "Cost of debt before tax", example=""),
                F("cost_of_equity", "Cost of equity", example="0.11", hint=_RATE),
                F("net_income", "Net income", example="80", hint="for equity residual income"),
                F("equity", "Book equity", example="600", hint="for equity residual income"),
            ],
            _plain(show.eva),
        ),
    ],
)

LOANS = Group(
    "loans",
    "Loan schedule, yield and payoff",
    "A private note's dated payments and what it earns the lender, and what closes it on a day.",
    [
        Calculator(
            "schedule",
            "Payment schedule",
            "Every payment of the note, and the lender's XIRR with points.",
            "/api/v1/finance/loans/schedule",
            s.LoanScheduleRequest,
            _LOAN_TERMS,
            _plain(show.loan_schedule),
        ),
        Calculator(
            "yield",
            "Lender yield",
            "Monthly IRR x 12 on the cash lent once points are deducted.",
            "/api/v1/finance/loans/yield",
            s.LoanYieldRequest,
            [
                F("principal", "Principal", example="100000"),
                F("annual_rate", "Note rate", example="0.12", hint=_RATE + " a year"),
                F("months", "Term (months)", "whole", "24"),
                F("points", "Points", example="2", hint="percent of principal: 2 is 2%"),
                F(
                    "amortization_months",
                    "Amortised over (months)",
                    "whole",
                    "",
                    "blank: interest only",
                ),
            ],
            _plain(show.loan_yield),
        ),
        Calculator(
            "payoff",
            "Payoff quote",
            "Principal, accrued and default interest and late fees on the payoff date.",
            "/api/v1/finance/loans/payoff",
            s.LoanPayoffRequest,
            [
                *_LOAN_TERMS,
                F("on_date", "Payoff date", "date", "2026-09-20"),
                F("payments_made", "Payments made", "whole", "", "blank: every one due by then"),
            ],
            _plain(show.loan_payoff),
        ),
    ],
)

HOUSEHOLD = Group(
    "household",
    "Household residual income",
    "What a household keeps each month, and the VA home-loan residual income test.",
    [
        Calculator(
            "residual-income",
            "Household residual income",
            "Gross income less taxes, debt payments and living costs, a month.",
            "/api/v1/finance/household/residual-income",
            s.HouseholdResidualIncomeRequest,
            [
                F("gross_income", "Gross income a month", example="8000"),
                F("taxes", "Taxes a month", example="1500"),
                F("debt_payments", "Debt payments a month", example="900"),
                F("living_expenses", "Living expenses a month", example="3200"),
            ],
            _plain(show.household),
        ),
        Calculator(
            "va",
            "VA residual income test",
            "The VA home-loan residual income and 41% ratio tests, with the reasons.",
            "/api/v1/finance/household/va",
            s.VaTestRequest,
            [
                F("gross_monthly_income", "Gross income a month", example="7000"),
                F("housing_payment", "Housing payment (PITI)", example="1900"),
                F("family_size", "Family size", "whole", "4"),
                F("state", "State", "text", "TX", "two-letter code or region"),
                F("loan_amount", "Loan amount", example="250000"),
                F("square_feet", "Living area (sq ft)", example="2000"),
                F("other_debts", "Other debts a month", example="450"),
                F("child_care", "Child care a month", example="300"),
                F("job_expenses", "Job expenses a month", example="100"),
                F("federal_income_tax", "Federal income tax", example="600"),
                F("state_income_tax", "State income tax", example="0"),
                F("social_security", "Social security", example="434"),
                F("medicare", "Medicare", example="101.50"),
                F("total_taxes", "Or: total taxes", example="", hint="instead of the parts"),
            ],
            _plain(show.va_test),
        ),
    ],
)

SIMULATION = Group(
    "simulation",
    "Passive vs active income",
    "Build a product unpaid, or sell the same hours? A Monte Carlo of the bet.",
    [
        Calculator(
            "passive-vs-active",
            "Passive vs active simulation",
            "The odds the product beats freelancing the same hours, and its NPV spread.",
            "/api/v1/finance/simulate",
            s.SimulateRequest,
            [
                _sim("build_months", "Build months", "unpaid", "whole"),
                _sim("hours_per_month", "Build hours a month"),
                _sim("freelance_rate", "Freelance rate", "dollars an hour"),
                _sim("success_probability", "Chance of success", "0 to 1"),
                _sim("ramp_months", "Months to peak", kind="whole"),
                _sim("peak_revenue_median", "Median peak revenue", "dollars a month"),
                _sim("peak_revenue_sigma", "Peak spread (log-sd)", "0 to 5"),
                _sim("persistence", "Revenue kept each month", "0 to 1"),
                _sim("churn", "Monthly chance it dies", "0 to below 1"),
                _sim("monthly_costs", "Monthly costs"),
                _sim("maintenance_hours", "Maintenance hours a month"),
                _sim("discount_rate", "Discount rate", "monthly: 0.008 is about 10% a year"),
                _sim("horizon_months", "Horizon (months)", kind="whole"),
                _sim("paths", "Paths", f"1 to {s.MAX_API_PATHS:,}", "whole"),
                _sim("seed", "Seed", "same seed, same draws", "whole"),
            ],
            _plain(show.simulation),
        ),
    ],
)

GROUPS: tuple[Group, ...] = (VALUATION, LOANS, HOUSEHOLD, SIMULATION)


def find(group: str, calculator: str | None = None) -> tuple[Group, Calculator]:
    """The page and calculator at an address (its first calculator when none is named)."""
    for page in GROUPS:
        if page.slug == group:
            for model in page.calculators:
                if calculator in (None, model.slug):
                    return page, model
    raise NotFound("page", "There is no such finance page.")
