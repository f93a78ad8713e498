"""What each period of a subscription costs, on plain values: a coupon's duration in periods
(Stripe's once / repeating / forever) and one period's price with its discount and tax.
(Plan changes and their proration are in billing.py.)"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.cart import TaxTerms, taxed
from evergreen.commerce.rules.currencies import round_to_unit

__all__ = [
    "DURATIONS",
    "CouponHold",
    "PeriodPrice",
    "check_duration",
    "coupon_periods",
    "discount_applies",
    "period_price",
]

DURATIONS = ("once", "repeating", "forever")
_LASTS = {"once": "the first period", "forever": "every period"}


def check_duration(duration: str, periods: int | None) -> tuple[str, int | None]:
    """A coupon's duration: once, forever, or repeating for 1 to 120 periods; as Stripe's
    duration_in_months, a number of periods only with repeating (never silently dropped)."""
    text = (duration or "once").strip().lower()
    if text not in DURATIONS:
        raise CommerceInputError("duration", f"must be one of {', '.join(DURATIONS)}")
    if text != "repeating":
        if periods is not None:
            raise CommerceInputError(
                "duration_periods",
                f"only a repeating coupon lasts a number of periods: choose repeating, or "
                f"leave the periods empty for a coupon that lasts {_LASTS[text]}",
            )
        return text, None
    if isinstance(periods, bool) or not isinstance(periods, int) or not 1 <= periods <= 120:
        raise CommerceInputError("duration_periods", "a repeating coupon lasts 1 to 120 periods")
    return text, periods


def coupon_periods(duration: str, periods: int | None) -> int | None:
    """How many periods a coupon discounts from the first: once 1, repeating N, forever None."""
    text, count = check_duration(duration, periods)
    return 1 if text == "once" else count


@dataclass(frozen=True)
class CouponHold:
    """A coupon as a subscription keeps it from its start (the coupon may change later)."""

    percent_off: Decimal | None
    amount_off: int | None
    periods: int | None  # None: forever


def discount_applies(hold: CouponHold | None, n: int) -> bool:
    """Whether period n (1 is the first) is still discounted."""
    return hold is not None and (hold.periods is None or n <= hold.periods)


@dataclass(frozen=True)
class PeriodPrice:
    """One period priced: amount - discount (+ tax when exclusive) = total."""

    amount: int
    discount: int
    tax: int
    total: int

    @property
    def net(self) -> int:
        """The plan's amount after the discount: what MRR counts."""
        return self.amount - self.discount


def period_price(
    amount: int, n: int, hold: CouponHold | None, tax: TaxTerms | None, currency: str
) -> PeriodPrice:
    """Period n's price: the coupon while it lasts, then the tax, by the cart's rule (rounded
    half up to the currency's smallest unit)."""
    discount = 0
    if discount_applies(hold, n):
        assert hold is not None
        if hold.percent_off is not None:
            discount = round_to_unit(Decimal(amount) * hold.percent_off / 100, currency)
        else:
            discount = hold.amount_off or 0
    net = amount - min(discount, amount)
    tax_cents, total = taxed(net, tax, currency)
    return PeriodPrice(amount, amount - net, tax_cents, total)
