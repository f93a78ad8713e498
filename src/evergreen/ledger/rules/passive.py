"""The passive share: how much of the income came from streams that took the owner under N
hours in the month it was earned."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["PassiveShare", "passive_share"]

_ZERO = Decimal(0)


@dataclass(frozen=True)
class PassiveShare:
    """Passive income, all income, and their ratio (None when there was no income)."""

    passive_income: Decimal
    income: Decimal
    threshold: Decimal

    @property
    def share(self) -> Decimal | None:
        """Passive income ÷ all income, 0 to 1; None without income to divide by."""
        if self.income <= 0:
            return None
        return self.passive_income / self.income


def passive_share(
    months: Iterable[Iterable[tuple[Decimal, Decimal]]], threshold: Decimal
) -> PassiveShare:
    """Each month's (income, hours) per stream: a stream's income counts as passive in a month
    when its hours that month are fewer than `threshold`."""
    passive = income = _ZERO
    for month in months:
        for earned, hours in month:
            income += earned
            if hours < threshold:
                passive += earned
    return PassiveShare(passive, income, threshold)
