"""What a stream is worth under the residual income model, and how long its RI persists.

    value = capital + RI1 / (1 + r - ω)

RI1 is the trailing twelve months' residual income (the next year's, if nothing changes), r the
required return and ω the persistence factor: 0 when RI stops after a year, 1 when it lasts
forever (the CFA curriculum's continuing residual income).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.rules.inputs import parse_number

__all__ = [
    "MAX_FORECAST_YEARS",
    "MIN_MONTHS",
    "Bridge",
    "ForecastYear",
    "Persistence",
    "check_own_rates",
    "estimate_persistence",
    "multistage_bridge",
    "parse_forecast",
    "parse_signed",
    "single_stage_bridge",
    "trailing_year",
    "value_of",
]

MIN_MONTHS = 6


def trailing_year(as_of: date) -> tuple[date, date]:
    """The 365 days ending on `as_of`, both ends included."""
    return as_of - timedelta(days=364), as_of


def value_of(
    capital: Decimal, residual_income_ttm: Decimal, required_return: Decimal, persistence: Decimal
) -> Decimal:
    """Capital plus next year's RI capitalised with persistence ω: B + RI1 / (1 + r - ω)."""
    if not Decimal(0) <= persistence <= Decimal(1):
        raise LedgerInputError(
            "persistence", f"must be between 0 and 1 (got {persistence}); 0.6 means 60 % a year"
        )
    divisor = 1 + required_return - persistence
    if divisor <= 0:
        raise LedgerInputError(
            "persistence",
            f"{persistence} with a required return of {required_return} gives 1 + r - ω ≤ 0; "
            "lower the persistence or raise the return",
        )
    return capital + residual_income_ttm / divisor


@dataclass(frozen=True)
class Persistence:
    """ω estimated from monthly residual income, with how well the fit explains it."""

    omega: float
    monthly: float
    r_squared: float
    months: int


def estimate_persistence(monthly: Sequence[Decimal]) -> Persistence | None:
    """Fit RI(m+1) = φ·RI(m) through the origin on monthly RI; ω = φ¹² within [0, 1].

    None with fewer than MIN_MONTHS months or when every month is 0 (nothing to fit).
    """
    if len(monthly) < MIN_MONTHS:
        return None
    x = [float(v) for v in monthly[:-1]]
    y = [float(v) for v in monthly[1:]]
    sxx = math.fsum(v * v for v in x)
    if sxx == 0.0:
        return None
    phi = math.fsum(a * b for a, b in zip(x, y, strict=True)) / sxx
    syy = math.fsum(v * v for v in y)
    sse = math.fsum((b - phi * a) ** 2 for a, b in zip(x, y, strict=True))
    r_squared = 1.0 - sse / syy if syy else 0.0
    yearly = phi**12 if phi > 0 else 0.0
    return Persistence(
        omega=min(1.0, max(0.0, yearly)),
        monthly=phi,
        r_squared=max(0.0, r_squared),
        months=len(monthly),
    )


MAX_FORECAST_YEARS = 30


@dataclass(frozen=True)
class ForecastYear:
    """One explicit year of a forecast: its residual income and that discounted to today."""

    year: int
    residual_income: Decimal
    present_value: Decimal


@dataclass(frozen=True)
class Bridge:
    """The steps from capital to value: capital, the PV of each explicit year's RI, and the PV
    of the continuing RI after them (the CFA curriculum's multistage RI model)."""

    capital: Decimal
    years: tuple[ForecastYear, ...]
    continuing_residual_income: Decimal  # RI of the first year after the explicit ones
    persistence: Decimal
    continuing_value: Decimal  # at the end of the last explicit year
    continuing_present_value: Decimal
    value: Decimal

    def steps(self) -> list[tuple[str, Decimal]]:
        """(label, amount) in order; they add up to `value`."""
        return [
            ("Capital", self.capital),
            *((f"Year {y.year} RI (PV)", y.present_value) for y in self.years),
            ("Continuing value (PV)", self.continuing_present_value),
        ]


def check_own_rates(required_return: Decimal | None, persistence: Decimal | None) -> None:
    """A stream's own required return and persistence, both given, must leave it a value
    (1 + r - ω > 0): saved otherwise, every page and answer valuing it would be an error."""
    if required_return is not None and persistence is not None:
        _divisor(required_return, persistence)


def _divisor(required_return: Decimal, persistence: Decimal) -> Decimal:
    if not Decimal(0) <= persistence <= Decimal(1):
        raise LedgerInputError(
            "persistence", f"must be between 0 and 1 (got {persistence}); 0.6 means 60 % a year"
        )
    if required_return <= -1:
        raise LedgerInputError("required_return", f"must be more than -1 (got {required_return})")
    divisor = 1 + required_return - persistence
    if divisor <= 0:
        raise LedgerInputError(
            "persistence",
            f"{persistence} with a required return of {required_return} gives 1 + r - ω ≤ 0; "
            "lower the persistence or raise the return",
        )
    return divisor


def multistage_bridge(
    capital: Decimal,
    explicit: Sequence[Decimal],
    continuing: Decimal | None,
    required_return: Decimal,
    persistence: Decimal,
) -> Bridge:
    """Value = capital + Σ RI_t ÷ (1 + r)^t + [RI_T+1 ÷ (1 + r - ω)] ÷ (1 + r)^T.

    `continuing` is RI_T+1, the first year after the explicit ones; None takes ω x RI_T, so a
    one-year forecast of RI1 gives exactly capital + RI1 ÷ (1 + r - ω) (see `value_of`).
    """
    if not 1 <= len(explicit) <= MAX_FORECAST_YEARS:
        raise LedgerInputError(
            "forecast", f"give 1 to {MAX_FORECAST_YEARS} years of residual income, comma-separated"
        )
    divisor = _divisor(required_return, persistence)
    growth = 1 + required_return
    years = []
    factor = Decimal(1)
    for number, amount in enumerate(explicit, start=1):
        factor *= growth
        years.append(ForecastYear(number, amount, amount / factor))
    next_year = continuing if continuing is not None else persistence * explicit[-1]
    at_horizon = next_year / divisor
    present = at_horizon / factor
    total = capital + sum((y.present_value for y in years), Decimal(0)) + present
    return Bridge(capital, tuple(years), next_year, persistence, at_horizon, present, total)


def single_stage_bridge(
    capital: Decimal, residual_income_ttm: Decimal, required_return: Decimal, persistence: Decimal
) -> Bridge:
    """`value_of` as a bridge: capital, next year's RI discounted one year, and the ω share of it
    that continues after that year, discounted."""
    return multistage_bridge(capital, [residual_income_ttm], None, required_return, persistence)


def parse_forecast(text: str, field: str = "forecast") -> list[Decimal]:
    """Yearly residual income as typed: amounts separated by commas, semicolons or spaces."""
    tokens = text.replace(";", " ").replace(",", " ").split()
    if not tokens:
        raise LedgerInputError(field, "is empty; give each year's residual income, e.g. 1200, 1500")
    if len(tokens) > MAX_FORECAST_YEARS:
        raise LedgerInputError(field, f"has {len(tokens)} years; give at most {MAX_FORECAST_YEARS}")
    return [parse_signed(token, field) for token in tokens]


def parse_signed(text: str, field: str) -> Decimal:
    """An amount that may be negative or zero (a year that loses money, or earns nothing),
    read as every typed number is: 0e5 and 0_0 are refused as 1e3 and 1_000 are."""
    value = parse_number(text.strip(), field)
    return value if value else Decimal(0)  # -0 and 0.00 are a year of nothing alike
