"""Residual income of a stream over a period: income less costs, the owner's time and capital.

residual income = income - costs - hours x hourly rate - capital charge
capital charge  = sum over the period's days of (capital at the end of that day)
                  x required annual return / 365
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from evergreen.ledger.errors import LedgerInputError

__all__ = [
    "DAYS_A_YEAR",
    "Figures",
    "Rates",
    "capital_charge",
    "capital_days",
    "check_capital_left",
    "check_period",
    "figures_for",
    "residual_income",
    "total",
]

DAYS_A_YEAR = Decimal(365)
_CENT = Decimal("0.01")
_ZERO = Decimal(0)


@dataclass(frozen=True)
class Rates:
    """What the owner's hour and capital cost: an hourly rate and a required annual return."""

    hourly_rate: Decimal
    required_return: Decimal

    def override(self, hourly_rate: Decimal | None, required_return: Decimal | None) -> Rates:
        """A stream's own rates where it has them, these elsewhere."""
        return Rates(
            hourly_rate if hourly_rate is not None else self.hourly_rate,
            required_return if required_return is not None else self.required_return,
        )


@dataclass(frozen=True)
class Figures:
    """One stream's (or the total's) figures for a period, unrounded until shown."""

    income: Decimal = _ZERO
    costs: Decimal = _ZERO
    hours: Decimal = _ZERO
    owner_time_charge: Decimal = _ZERO
    capital_charge: Decimal = _ZERO
    residual_income: Decimal = _ZERO

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def rounded(self) -> Figures:
        """Money to cents (half up), hours to hundredths: what pages and reports show."""
        return Figures(*(_cents(getattr(self, f.name)) for f in fields(self)))

    def as_strings(self) -> dict[str, str]:
        """Rounded figures as decimal strings, for JSON."""
        shown = self.rounded()
        return {f.name: str(getattr(shown, f.name)) for f in fields(shown)}


def _cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP) + 0  # + 0 turns -0.00 into 0.00


def check_period(start: date, end: date) -> None:
    """A period runs forward: its first day on or before its last."""
    if end < start:
        raise LedgerInputError("to", f"{end} is before {start}; the period must run forward")


def capital_charge(
    opening: Decimal,
    changes: Mapping[date, Decimal],
    start: date,
    end: date,
    required_return: Decimal,
) -> Decimal:
    """Σ over each day of [start, end] of the capital at that day's end x r ÷ 365.

    `opening` is the capital before `start`; `changes` the capital put in (+) or taken out (-)
    on each day, that day's entries counted in that day's balance.
    """
    balance = opening
    day_sum = _ZERO
    day = start
    one = timedelta(days=1)
    while day <= end:
        balance += changes.get(day, _ZERO)
        day_sum += balance
        day += one
    return day_sum * required_return / DAYS_A_YEAR


def residual_income(
    income: Decimal, costs: Decimal, time_charge: Decimal, capital_charge: Decimal
) -> Decimal:
    """Income left after costs, the owner's time and the capital employed are paid for."""
    return income - costs - time_charge - capital_charge


def figures_for(
    *,
    income: Decimal,
    costs: Decimal,
    hours: Decimal,
    opening_capital: Decimal,
    capital_changes: Mapping[date, Decimal],
    start: date,
    end: date,
    rates: Rates,
) -> Figures:
    """A stream's figures for [start, end] from its sums, hours and capital movements."""
    check_period(start, end)
    time_charge = hours * rates.hourly_rate
    charge = capital_charge(opening_capital, capital_changes, start, end, rates.required_return)
    return Figures(
        income=income,
        costs=costs,
        hours=hours,
        owner_time_charge=time_charge,
        capital_charge=charge,
        residual_income=residual_income(income, costs, time_charge, charge),
    )


def total(figures: Iterable[Figures]) -> Figures:
    """The sum of several streams' figures (the business line)."""
    result = Figures()
    for item in figures:
        result = result + item
    return result


def capital_days(
    opening: Decimal, changes: Mapping[date, Decimal], start: date, end: date
) -> Decimal:
    """Σ over each day of [start, end] of the capital at that day's end: what the capital
    charge multiplies by r ÷ 365 (shown on a stream's page as the charge's working)."""
    balance = opening
    day_sum = _ZERO
    day = start
    while day <= end:
        balance += changes.get(day, _ZERO)
        day_sum += balance
        day += timedelta(days=1)
    return day_sum


def check_capital_left(
    opening: Decimal, moves: Mapping[date, Decimal], changes: Mapping[date, Decimal], currency: str
) -> None:
    """Capital taken out must leave a stream some capital, 0 at least, at the end of that day
    and of every later one: below 0 the capital charge turns into a credit that raises residual
    income. `changes` are the entry's (or batch's) capital moves by day; `moves` all the stream's
    moves from its first day taken out on, `changes` included; `opening` the capital at the end
    of the day before that day."""
    taken_days = [day for day, amount in changes.items() if amount < 0]
    if not taken_days:
        return
    start = min(taken_days)
    balance, changed = opening, _ZERO
    for day in sorted(d for d in {*moves, *changes} if d >= start):
        balance += moves.get(day, _ZERO)
        changed += changes.get(day, _ZERO)
        if balance < 0:
            held = max(balance - changed, _ZERO)
            raise LedgerInputError(
                "amount",
                f"takes {-changed:.2f} {currency} of capital out, but the stream holds "
                f"{held:.2f} {currency} on {day.isoformat()}; take out no more than was put in "
                "(income you keep is not capital and needs no entry)",
            )
