"""A stream's stored forecast: explicit years of residual income, then how RI continues after
them, with finance.residual_income's choices (none, perpetuity, persistence), checked and valued.

Year 1 is the year after the day the stream is valued; the value is its multistage bridge
(`value.multistage_bridge`): capital + Σ RIₜ ÷ (1 + r)ᵗ + continuing value discounted T years.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.rules.inputs import parse_rate
from evergreen.ledger.rules.value import (
    MAX_FORECAST_YEARS,
    Bridge,
    multistage_bridge,
    parse_signed,
)

__all__ = ["LARGEST_YEAR", "Continuing", "ForecastPlan", "check_forecast", "forecast_bridge"]

_ZERO, _ONE = Decimal(0), Decimal(1)
# A year's RI is stored to 4 places; under 10^11 it has at most 15 significant digits, which
# SQLite (whose NUMERIC is a double) gives back exactly, as PostgreSQL does.
LARGEST_YEAR = Decimal(10) ** 11


class Continuing(StrEnum):
    """What residual income does after the last explicit year (finance's `continuing`)."""

    NONE = "none"  # it stops: nothing after the forecast
    PERPETUITY = "perpetuity"  # the last year's RI lasts forever (ω = 1)
    PERSISTENCE = "persistence"  # it fades by ω each year

    @property
    def label(self) -> str:
        """The choice in the owner's words."""
        return _LABELS[self][0]

    @property
    def after(self) -> str:
        """What follows the explicit years, read after "then": "the last year's RI forever"."""
        return _LABELS[self][1]

    @classmethod
    def parse(cls, text: str) -> Continuing:
        """A choice from its name; anything else lists the choices."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(choice.value for choice in cls)
            raise LedgerInputError(
                "continuing", f"{text[:40]!r} is not a choice; use one of {names}"
            ) from None


_LABELS = {
    Continuing.NONE: ("It stops after the last year", "nothing"),
    Continuing.PERPETUITY: ("The last year's RI lasts forever", "the last year's RI forever"),
    Continuing.PERSISTENCE: (
        "It fades by persistence ω a year",
        "the last year's RI fading by ω a year",
    ),
}


@dataclass(frozen=True)
class ForecastPlan:
    """A checked forecast: each explicit year's residual income, then how it continues (ω only
    with persistence)."""

    years: tuple[Decimal, ...]
    continuing: Continuing
    persistence: Decimal | None = None


def _year(text: str | Decimal, index: int) -> Decimal:
    field = f"years[{index}]"
    if isinstance(text, str) and not text.strip():
        raise LedgerInputError(
            field, "is empty; give the year's residual income (0 for a year that earns nothing)"
        )
    amount = parse_signed(str(text), field)
    if abs(amount) >= LARGEST_YEAR:
        raise LedgerInputError(
            field, f"must be less than {LARGEST_YEAR:,} a year, gained or lost (got {text})"
        )
    return amount


def check_forecast(
    years: Sequence[str | Decimal], continuing: str, persistence: str | Decimal | None
) -> ForecastPlan:
    """The forecast as sent, checked: 1 to MAX_FORECAST_YEARS finite amounts (a refused one
    named `years[i]`, counted from 0), a known continuing choice, ω with persistence only."""
    if not years:
        raise LedgerInputError("years", "is empty; give each year's residual income, e.g. 1200")
    if len(years) > MAX_FORECAST_YEARS:
        raise LedgerInputError(
            "years", f"has {len(years)} years; give at most {MAX_FORECAST_YEARS}"
        )
    amounts = tuple(_year(text, index) for index, text in enumerate(years))
    mode = Continuing.parse(continuing)
    given = persistence is not None and str(persistence).strip() != ""
    if mode is not Continuing.PERSISTENCE:
        if given:
            raise LedgerInputError(
                "persistence",
                f"only applies when RI continues with persistence (not {mode.value}); "
                "leave it out or choose persistence",
            )
        return ForecastPlan(amounts, mode)
    if not given:
        raise LedgerInputError(
            "persistence", "is needed when RI continues with persistence: 0 to 1, e.g. 0.6"
        )
    omega = parse_rate(str(persistence), "persistence", low=_ZERO, high=_ONE, example="0.6")
    return ForecastPlan(amounts, mode, omega)


def forecast_bridge(plan: ForecastPlan, capital: Decimal, required_return: Decimal) -> Bridge:
    """The value of a stream with this forecast, step by step from its capital."""
    if plan.continuing is Continuing.NONE:
        return multistage_bridge(capital, plan.years, _ZERO, required_return, _ZERO)
    if plan.continuing is Continuing.PERPETUITY:
        if required_return <= 0:
            raise LedgerInputError(
                "continuing",
                "RI that lasts forever is worth RI ÷ r, which needs a required return above 0; "
                "set one, or let RI fade with persistence below 1",
            )
        return multistage_bridge(capital, plan.years, None, required_return, _ONE)
    omega = plan.persistence if plan.persistence is not None else _ZERO
    return multistage_bridge(capital, plan.years, None, required_return, omega)
