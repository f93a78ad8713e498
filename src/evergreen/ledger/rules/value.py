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

__all__ = ["MIN_MONTHS", "Persistence", "estimate_persistence", "trailing_year", "value_of"]

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
