"""Residual income valuation (CFA curriculum): book value plus the PV of earnings above r·B.

RI_t = E_t - r·B_{t-1} on beginning book value, and book value rolls forward by clean surplus,
B_t = B_{t-1} + E_t - D_t. When other comprehensive income is given ("dirty surplus") it moves
book value, B_t = B_{t-1} + E_t + OCI_t - D_t, but RI still uses net income E_t only: that is the
CFA treatment; a comprehensive-income RI is not offered here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from evergreen.finance.discounting import (
    discount_factors,
)
from evergreen.finance.errors import FinanceInputError
from evergreen.finance.inputs import (
    checked_number,
    checked_numbers,
    checked_rate,
    finite_result,
    growth_below,
    plain,
)
from evergreen.finance.residual_income.grid import value_grid
from evergreen.finance.residual_income.single_stage import (
    _positive_book,
    implied_cost_of_equity,
    implied_growth,
    justified_price_to_book,
    single_stage,
)

__all__ = [
    "CONTINUING",
    "Continuing",
    "ResidualIncomeValuation",
    "implied_cost_of_equity",
    "implied_growth",
    "justified_price_to_book",
    "single_stage",
    "value",
    "value_grid",
]

Continuing = Literal["none", "perpetuity", "persistence", "price_to_book"]
CONTINUING: tuple[str, ...] = ("none", "perpetuity", "persistence", "price_to_book")
MAX_HORIZON = 500


@dataclass(frozen=True)
class ResidualIncomeValuation:
    """Every step from book value to value, so a report can show the bridge, not one number."""

    value: float
    cost_of_equity: float
    beginning_book_value: float
    earnings: list[float]
    dividends: list[float]
    other_comprehensive_income: list[float]
    book_value: list[float]
    residual_income: list[float]
    discount_factors: list[float]
    pv_residual_income: list[float]
    explicit_years: int
    continuing: str
    persistence: float | None
    terminal_price_to_book: float | None
    terminal_year: int
    terminal_value: float
    pv_terminal_value: float

    @property
    def price_to_book(self) -> float | None:
        """V0 over B0 from the unrounded figures (a page dividing the answer's cents by cents
        was wrong, or divided by zero); None when B0 is so small the ratio overflows."""
        ratio = self.value / self.beginning_book_value
        return ratio if math.isfinite(ratio) else None

    @property
    def horizon(self) -> int:
        """T, the last forecast year."""
        return len(self.residual_income)

    def bridge(self) -> list[tuple[str, float]]:
        """Ordered (label, amount) steps B0 -> PV RI -> PV continuing RI that add up to value."""
        k = self.explicit_years
        years = f"years 1-{k}" if k > 1 else ("year 1" if k == 1 else "no explicit years")
        return [
            ("Book value B0", self.beginning_book_value),
            (f"PV of residual income, {years}", math.fsum(self.pv_residual_income[:k])),
            (f"PV of continuing residual income ({self.continuing})", self.pv_terminal_value),
        ]

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-safe values for the API and CLI."""
        return {
            "value": self.value,
            "price_to_book": self.price_to_book,
            "cost_of_equity": self.cost_of_equity,
            "beginning_book_value": self.beginning_book_value,
            "earnings": list(self.earnings),
            "dividends": list(self.dividends),
            "other_comprehensive_income": list(self.other_comprehensive_income),
            "book_value": list(self.book_value),
            "residual_income": list(self.residual_income),
            "discount_factors": list(self.discount_factors),
            "pv_residual_income": list(self.pv_residual_income),
            "explicit_years": self.explicit_years,
            "continuing": self.continuing,
            "persistence": self.persistence,
            "terminal_price_to_book": self.terminal_price_to_book,
            "terminal_year": self.terminal_year,
            "terminal_value": self.terminal_value,
            "pv_terminal_value": self.pv_terminal_value,
            "bridge": [[label, amount] for label, amount in self.bridge()],
        }


def _per_year(field: str, value: object, horizon: int) -> list[float]:
    """A scalar applied to every year, or one value per year."""
    value = plain(value)
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return checked_numbers(field, value, horizon, "the horizon")
    if isinstance(value, str):
        raise FinanceInputError(
            field, f"must be one number for every year or a list of one per year (got {value!r})"
        )
    return [checked_number(field, value)] * horizon


def _horizon(value: object) -> int:
    """A whole number of forecast years, from 1 to MAX_HORIZON."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise FinanceInputError("horizon", f"must be a whole number of years (got {value!r})")
    if not 1 <= value <= MAX_HORIZON:
        raise FinanceInputError(
            "horizon", f"must be between 1 and {MAX_HORIZON} years (got {value})"
        )
    return value


def _from_earnings(
    earnings: object, dividends: object, payout: object, horizon: object
) -> tuple[list[float], list[float]]:
    """Earnings and dividends given per year: check they line up with each other and horizon."""
    if payout is not None:
        raise FinanceInputError(
            "payout", "applies to roe forecasts; with earnings, give dividends per year instead"
        )
    if dividends is None:
        raise FinanceInputError(
            "dividends",
            "needed with earnings to roll book value forward (clean surplus); give one per year",
        )
    e = checked_numbers("earnings", earnings)
    d = checked_numbers("dividends", dividends, len(e), "earnings")
    if horizon is not None and _horizon(horizon) != len(e):
        raise FinanceInputError(
            "horizon", f"is {horizon} but earnings cover {len(e)} years; drop horizon or match it"
        )
    for year, dividend in enumerate(d, start=1):
        if dividend < 0:
            raise FinanceInputError(
                "dividends", f"must be zero or more (got {dividend:g} in year {year})"
            )
    return e, d


def _from_roe(
    b0: float, roe: object, payout: object, horizon: object, oci: list[float] | None
) -> tuple[list[float], list[float]]:
    """Earnings = ROE_t x B_{t-1}, dividends = payout x earnings (none paid out of a loss)."""
    years = _horizon(horizon)
    roes = _per_year("roe", roe, years)
    if payout is None:
        raise FinanceInputError(
            "payout", "needed with roe: the share of earnings paid as dividends, 0 to 1"
        )
    payouts = _per_year("payout", payout, years)
    for year, (rate, share) in enumerate(zip(roes, payouts, strict=True), start=1):
        if rate <= -1.0:
            raise FinanceInputError(
                "roe", f"must be greater than -1 (got {rate:g} in year {year}); 0.12 means 12%"
            )
        if not 0.0 <= share <= 1.0:
            raise FinanceInputError(
                "payout",
                f"must be between 0 and 1 (got {share:g} in year {year}); for liquidating or "
                "capital-raising years give earnings and dividends instead",
            )
    earnings: list[float] = []
    dividends: list[float] = []
    book = b0
    for t in range(years):
        if book <= 0:
            raise FinanceInputError(
                "other_comprehensive_income",
                f"drives book value to {book:g} by year {t}; roe can't apply to non-positive "
                "book value, so give earnings and dividends instead",
            )
        e = roes[t] * book
        d = payouts[t] * e if e > 0 else 0.0
        book += e - d + (oci[t] if oci is not None else 0.0)
        earnings.append(e)
        dividends.append(d)
    return earnings, dividends


def _continuing(
    continuing: str, r: float, persistence: object, price_to_book: object
) -> tuple[float | None, float | None]:
    """Check the continuing-value choice and the one parameter it needs, and no other."""
    if continuing not in CONTINUING:
        raise FinanceInputError(
            "continuing", f"must be one of {', '.join(CONTINUING)} (got {continuing!r})"
        )
    if persistence is not None and continuing != "persistence":
        raise FinanceInputError(
            "persistence", "only applies with continuing='persistence'; drop it or switch"
        )
    if price_to_book is not None and continuing != "price_to_book":
        raise FinanceInputError(
            "terminal_price_to_book", "only applies with continuing='price_to_book'"
        )
    if continuing == "perpetuity":
        growth_below("continuing_growth", 0.0, r, "cost_of_equity")
    if continuing == "persistence":
        if persistence is None:
            raise FinanceInputError("persistence", "needed with continuing='persistence', 0 to 1")
        omega = checked_number("persistence", persistence)
        if not 0.0 <= omega <= 1.0:
            raise FinanceInputError(
                "persistence",
                f"must be between 0 (RI stops after T) and 1 (RI lasts forever), got {omega:g}",
            )
        if 1.0 + r - omega <= 0.0:
            raise FinanceInputError(
                "cost_of_equity",
                f"must be greater than persistence - 1 for continuing RI to converge "
                f"(got r={r:g}, persistence={omega:g})",
            )
        return omega, None
    if continuing == "price_to_book":
        if price_to_book is None:
            raise FinanceInputError(
                "terminal_price_to_book", "needed with continuing='price_to_book' (e.g. 1.5)"
            )
        multiple = checked_number("terminal_price_to_book", price_to_book)
        if multiple < 0:
            raise FinanceInputError(
                "terminal_price_to_book", f"must be 0 or more (got {multiple:g})"
            )
        return None, multiple
    return None, None


def value(
    book_value: float,
    cost_of_equity: float,
    *,
    earnings: Sequence[float] | None = None,
    dividends: Sequence[float] | None = None,
    roe: float | Sequence[float] | None = None,
    payout: float | Sequence[float] | None = None,
    horizon: int | None = None,
    continuing: Continuing = "none",
    persistence: float | None = None,
    terminal_price_to_book: float | None = None,
    other_comprehensive_income: Sequence[float] | None = None,
) -> ResidualIncomeValuation:
    """Multistage RI value per share: B0 + PV of forecast RI + PV of continuing RI."""
    b0 = _positive_book(book_value)
    r = checked_rate("cost_of_equity", cost_of_equity)
    if earnings is not None and roe is not None:
        raise FinanceInputError(
            "roe", "give either earnings (with dividends) or roe (with payout), not both"
        )
    if earnings is None and roe is None:
        raise FinanceInputError(
            "earnings", "give earnings and dividends per year, or roe with payout and horizon"
        )
    if earnings is None and horizon is None:
        raise FinanceInputError(
            "horizon", "needed with roe: say how many years to forecast (e.g. horizon=5)"
        )
    omega, multiple = _continuing(continuing, r, persistence, terminal_price_to_book)
    oci_field = "other_comprehensive_income"
    if earnings is not None:
        e, d = _from_earnings(earnings, dividends, payout, horizon)
        oci = None
        if other_comprehensive_income is not None:
            oci = checked_numbers(oci_field, other_comprehensive_income, len(e), "earnings")
    else:
        if dividends is not None:
            raise FinanceInputError("dividends", "come from payout with roe; give payout instead")
        oci = None
        if other_comprehensive_income is not None:
            oci = checked_numbers(
                oci_field, other_comprehensive_income, _horizon(horizon), "the horizon"
            )
        e, d = _from_roe(b0, roe, payout, horizon, oci)
    return _valuation(b0, r, e, d, oci, continuing, omega, multiple)


def _valuation(
    b0: float,
    r: float,
    e: list[float],
    d: list[float],
    oci: list[float] | None,
    continuing: str,
    omega: float | None,
    multiple: float | None,
) -> ResidualIncomeValuation:
    """Roll book value forward, charge r on beginning book, discount, add continuing RI."""
    years = len(e)
    other = oci if oci is not None else [0.0] * years
    books: list[float] = []
    ri: list[float] = []
    begin = b0
    for t in range(years):
        ri.append(e[t] - r * begin)
        begin = begin + e[t] + other[t] - d[t]
        books.append(begin)
    factors = discount_factors(r, years)
    pvs = [x * f for x, f in zip(ri, factors, strict=True)]
    explicit, terminal_year, terminal = years, years, 0.0
    if continuing in ("perpetuity", "persistence"):
        # CFA convention: RI_T itself opens the continuing stream, stated at T-1.
        fade = 1.0 if continuing == "perpetuity" else (omega if omega is not None else 0.0)
        explicit, terminal_year = years - 1, years - 1
        terminal = ri[-1] / (1.0 + r - fade)
    elif continuing == "price_to_book" and multiple is not None:
        if books[-1] <= 0:
            raise FinanceInputError(
                "terminal_price_to_book",
                f"book value at the horizon is {books[-1]:g}, so a price-to-book multiple "
                "prices nothing; use continuing='none' instead",
            )
        terminal = (multiple - 1.0) * books[-1]
    pv_terminal = terminal * (factors[terminal_year - 1] if terminal_year else 1.0)
    total = b0 + math.fsum(pvs[:explicit]) + pv_terminal
    finite_result("earnings", total, terminal, *books, *ri, *pvs)
    return ResidualIncomeValuation(
        value=total,
        cost_of_equity=r,
        beginning_book_value=b0,
        earnings=e,
        dividends=d,
        other_comprehensive_income=other,
        book_value=books,
        residual_income=ri,
        discount_factors=factors,
        pv_residual_income=pvs,
        explicit_years=explicit,
        continuing=continuing,
        persistence=1.0 if continuing == "perpetuity" else omega,
        terminal_price_to_book=multiple,
        terminal_year=terminal_year,
        terminal_value=terminal,
        pv_terminal_value=pv_terminal,
    )
