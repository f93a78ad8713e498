"""The margin guard: a product whose landed margin falls below the owner's floor is paused.

Suppliers change costs and shipping without warning; selling at a loss until someone notices
is the drop-shipper's classic leak. The guard compares the margin left at the current price with
the owner's floor (a percent of the price, an amount, or both) and says why in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.pricing import margin_of
from evergreen.money import show_money, show_number

__all__ = ["Costs", "Floor", "GuardDecision", "Verdict", "guard", "make_floor"]


class Verdict(StrEnum):
    """What the guard does with a product."""

    KEEP = "keep"
    PAUSE = "pause"


@dataclass(frozen=True)
class Floor:
    """The owner's least acceptable margin: a percent of the price and/or an amount."""

    percent: Decimal | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class Costs:
    """A product's supplier cost and shipping, as they were or as they are now."""

    cost: Decimal
    shipping: Decimal

    @property
    def landed(self) -> Decimal:
        """Cost plus shipping: what one sale costs the owner."""
        return self.cost + self.shipping


@dataclass(frozen=True)
class GuardDecision:
    """Keep or pause, the margin it was judged on, and the reason in words."""

    verdict: Verdict
    margin: Decimal
    margin_percent: Decimal
    reason: str


def _non_negative(field: str, value: Decimal | None) -> Decimal | None:
    """A finite amount or percent of zero or more, or nothing."""
    if value is None:
        return None
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise CommerceInputError(field, "must be a number of 0 or more, like 20")
    return value


def make_floor(percent: Decimal | None = None, amount: Decimal | None = None) -> Floor:
    """A floor with at least one bound; a percent of 100 or more would pause every product."""
    checked_percent = _non_negative("floor.percent", percent)
    checked_amount = _non_negative("floor.amount", amount)
    if checked_percent is None and checked_amount is None:
        raise CommerceInputError("floor", "give a minimum margin percent, amount, or both")
    if checked_percent is not None and checked_percent >= 100:
        raise CommerceInputError("floor.percent", "must be below 100 (a margin is part of a price)")
    return Floor(checked_percent, checked_amount)


def _change(before: Costs, now: Costs, currency: str) -> str:
    """What moved since the last check, in words: the supplier's cost, shipping, or both."""
    parts = []
    if now.cost != before.cost:
        parts.append(
            f"supplier cost went from {show_money(before.cost)} to "
            f"{show_money(now.cost)} {currency}"
        )
    if now.shipping != before.shipping:
        parts.append(
            f"shipping went from {show_money(before.shipping)} to "
            f"{show_money(now.shipping)} {currency}"
        )
    return " and ".join(parts)


def guard(
    price: Decimal,
    now: Costs,
    floor: Floor,
    *,
    currency: str,
    before: Costs | None = None,
) -> GuardDecision:
    """Keep a product whose margin meets every bound of the floor, pause it otherwise."""
    if not isinstance(price, Decimal) or not price.is_finite() or price < 0:
        raise CommerceInputError("price", "must be an amount of 0 or more")
    for field, value in (("cost", now.cost), ("shipping", now.shipping)):
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            raise CommerceInputError(field, "must be an amount of 0 or more")
    amount, percent = margin_of(now.landed, price)
    shortfalls = []
    if floor.amount is not None and amount < floor.amount:
        shortfalls.append(f"below your floor of {show_money(floor.amount)} {currency}")
    # Exact, not the rounded percent shown: 29.996 % is below a 30 % floor (free: 0 %).
    if floor.percent is not None and (
        amount * 100 < floor.percent * price if price > 0 else floor.percent > 0
    ):
        shortfalls.append(f"below your floor of {show_number(floor.percent)} %")
    margin = (
        f"margin {show_money(amount)} {currency} ({show_number(percent)} % of {show_money(price)})"
    )
    if not shortfalls:
        return GuardDecision(Verdict.KEEP, amount, percent, f"{margin} meets your floor")
    cause = _change(before, now, currency) if before is not None else ""
    reason = f"{margin} is {' and '.join(shortfalls)}"
    if cause:
        reason = f"{cause}: {reason}"
    return GuardDecision(Verdict.PAUSE, amount, percent, reason)
