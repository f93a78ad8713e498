"""Drop-shipping price rules as DSers/AutoDS users know them: landed cost → price, by cost range.

Landed cost is the supplier's cost plus shipping to the buyer's zone. The range the landed cost
falls in says how to price it: x a multiplier or + a fixed margin. The result is rounded UP to
the cent and then to the owner's charm ending (.99, .95, .00), so rounding never eats margin.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from evergreen.commerce.errors import CommerceInputError
from evergreen.errors import InputError
from evergreen.money import CENT, check_currency, check_storable

__all__ = [
    "ANY_ZONE",
    "CostRange",
    "PriceQuote",
    "PriceRule",
    "SupplierCost",
    "charm",
    "landed_cost",
    "make_rule",
    "margin_of",
    "price_for",
    "quote",
]

ANY_ZONE = "*"  # a supplier's one shipping price, used for any zone it does not list
_HUNDRED = Decimal(100)
_PERCENT = Decimal("0.01")


def _money(field: str, value: Decimal | int) -> Decimal:
    """A non-negative storable amount, refused with the commerce error type."""
    try:
        return check_storable(field, value)
    except InputError as error:
        raise CommerceInputError(error.field, error.message) from None


def _currency(field: str, code: str) -> str:
    """An ISO 4217 code, refused with the commerce error type."""
    try:
        return check_currency(field, code)
    except InputError as error:
        raise CommerceInputError(error.field, error.message) from None


@dataclass(frozen=True)
class CostRange:
    """Landed costs from `start` (inclusive) to `end` (exclusive; None: no upper end), priced
    by exactly one of a multiplier or a fixed margin."""

    start: Decimal
    end: Decimal | None
    multiplier: Decimal | None = None
    margin: Decimal | None = None


@dataclass(frozen=True)
class PriceRule:
    """An owner's checked price rule in one currency (build it with make_rule)."""

    currency: str
    ranges: tuple[CostRange, ...]
    ending: Decimal | None = None
    compare_at_factor: Decimal | None = None


@dataclass(frozen=True)
class SupplierCost:
    """What a supplier charges for one SKU: its cost and shipping per destination zone."""

    currency: str
    cost: Decimal
    shipping: Mapping[str, Decimal]


@dataclass(frozen=True)
class PriceQuote:
    """A priced product: what it costs landed, what it sells for, and what is left."""

    currency: str
    landed: Decimal
    price: Decimal
    compare_at: Decimal | None
    margin: Decimal
    margin_percent: Decimal


def _check_range(index: int, item: CostRange) -> CostRange:
    """One range: bounds in order, exactly one way to price, never below landed cost."""
    where = f"ranges[{index}]"
    start = _money(f"{where}.start", item.start)
    end = None if item.end is None else _money(f"{where}.end", item.end)
    if end is not None and end <= start:
        raise CommerceInputError(f"{where}.end", f"must be above the start ({start})")
    if (item.multiplier is None) == (item.margin is None):
        raise CommerceInputError(where, "give either a multiplier or a fixed margin, not both")
    multiplier = None if item.multiplier is None else _multiplier(where, item.multiplier)
    margin = None if item.margin is None else _margin(f"{where}.margin", item.margin)
    return CostRange(start, end, multiplier, margin)


def _multiplier(where: str, value: Decimal | int) -> Decimal:
    """A multiplier of 1 or more: below 1 the price would be under landed cost."""
    field = f"{where}.multiplier"
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise CommerceInputError(field, "must be a number like 2.5")
    number = Decimal(value)
    if not number.is_finite():
        raise CommerceInputError(field, "must be a number like 2.5")
    if number <= 0:
        raise CommerceInputError(field, f"must be positive (got {number})")
    if number < 1:
        raise CommerceInputError(field, f"{number} would sell below landed cost; use 1 or more")
    return number


def _margin(field: str, value: Decimal | int) -> Decimal:
    """A fixed margin: a price below landed cost is refused, not priced."""
    if isinstance(value, Decimal | int) and not isinstance(value, bool) and value < 0:
        raise CommerceInputError(field, f"{value} would sell below landed cost; use 0 or more")
    return _money(field, value)


def make_rule(
    currency: str,
    ranges: Sequence[CostRange],
    *,
    ending: Decimal | None = None,
    compare_at_factor: Decimal | None = None,
) -> PriceRule:
    """A price rule whose ranges cover every cost once: from 0, in order, touching, open last."""
    code = _currency("currency", currency)
    if not ranges:
        raise CommerceInputError("ranges", "give at least one cost range")
    checked = tuple(_check_range(index, item) for index, item in enumerate(ranges))
    if checked[0].start != 0:
        raise CommerceInputError("ranges[0].start", "the first range must start at 0")
    for index, (before, after) in enumerate(itertools.pairwise(checked), start=1):
        if before.end is None:
            raise CommerceInputError(
                f"ranges[{index - 1}].end", "only the last range may be open-ended"
            )
        if after.start < before.end:
            raise CommerceInputError(
                f"ranges[{index}].start",
                f"overlaps the range before it, which runs to {before.end}",
            )
        if after.start > before.end:
            raise CommerceInputError(
                f"ranges[{index}].start",
                f"leaves costs from {before.end} to {after.start} without a rule",
            )
    if checked[-1].end is not None:
        raise CommerceInputError(
            f"ranges[{len(checked) - 1}].end", "the last range must be open-ended (no end)"
        )
    return PriceRule(code, checked, _ending(ending), _factor(compare_at_factor))


def _ending(value: Decimal | None) -> Decimal | None:
    """A charm ending is the cents every price ends in: 0.99, 0.95 or 0.00."""
    if value is None:
        return None
    if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value < 1:
        raise CommerceInputError("ending", "must be cents from 0.00 to 0.99, like 0.99")
    if value != value.quantize(CENT):
        raise CommerceInputError("ending", f"{value} has more than two decimals; use 0.99")
    return value.quantize(CENT)


def _factor(value: Decimal | None) -> Decimal | None:
    """A compare-at factor of 1 or more, so the struck-through price is never below the price."""
    if value is None:
        return None
    if not isinstance(value, Decimal) or not value.is_finite() or value < 1:
        raise CommerceInputError(
            "compare_at_factor", "must be 1 or more (the compare-at price is above the price)"
        )
    return value


def landed_cost(supplier: SupplierCost, zone: str, *, currency: str) -> Decimal:
    """Supplier cost plus shipping to the zone, in the rule's currency (never converted)."""
    if _currency("currency", supplier.currency) != _currency("currency", currency):
        raise CommerceInputError(
            "currency",
            f"the supplier charges in {supplier.currency}, the rule prices in {currency}",
        )
    cost = _money("cost", supplier.cost)
    shipping = supplier.shipping.get(zone.strip().upper(), supplier.shipping.get(ANY_ZONE))
    if shipping is None:
        zones = ", ".join(sorted(supplier.shipping)) or "none"
        raise CommerceInputError("zone", f"the supplier does not ship to {zone} (zones: {zones})")
    return cost + _money("shipping", shipping)


def charm(amount: Decimal, ending: Decimal | None) -> Decimal:
    """Round up to the cent, then up to the next price ending in `ending`: never down."""
    price = amount.quantize(CENT, rounding=ROUND_CEILING)
    if ending is None:
        return price
    whole = price.to_integral_value(rounding=ROUND_FLOOR)
    candidate = whole + ending
    return candidate if candidate >= price else candidate + 1


def _range_for(rule: PriceRule, landed: Decimal) -> CostRange:
    """The one range a landed cost falls in (the ranges cover every cost from 0)."""
    for item in rule.ranges:
        if item.end is None or landed < item.end:
            return item
    raise AssertionError("make_rule leaves the last range open")  # pragma: no cover


def price_for(rule: PriceRule, landed: Decimal) -> Decimal:
    """The selling price of a landed cost under the rule, charm ending included."""
    landed = _money("landed", landed)
    item = _range_for(rule, landed)
    raw = landed * item.multiplier if item.multiplier is not None else landed + (item.margin or 0)
    return _money("price", charm(raw, rule.ending))  # a price too large to store is refused


def margin_of(landed: Decimal, price: Decimal) -> tuple[Decimal, Decimal]:
    """Landed margin as an amount and a percent of the price (0 % for a free product)."""
    amount = price - landed
    if price <= 0:
        return amount, Decimal(0)
    percent = (amount * _HUNDRED / price).quantize(_PERCENT, rounding=ROUND_HALF_UP)
    return amount, percent


def quote(rule: PriceRule, supplier: SupplierCost, zone: str) -> PriceQuote:
    """Price one supplier SKU shipped to a zone: landed cost, price, compare-at and margin."""
    landed = landed_cost(supplier, zone, currency=rule.currency)
    price = price_for(rule, landed)
    compare_at = None
    if rule.compare_at_factor is not None:
        compare_at = _money(
            "compare_at", max(price, charm(price * rule.compare_at_factor, rule.ending))
        )
    amount, percent = margin_of(landed, price)
    return PriceQuote(rule.currency, landed, price, compare_at, amount, percent)
