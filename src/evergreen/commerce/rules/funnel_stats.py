"""The self-liquidating offer, measured: what a funnel's ads cost and what its buyers paid.

The figures ThriveCart and ClickFunnels owners read, per cohort day (the day a buyer entered the
funnel), campaign, source or in total:

- net front-end revenue = front-end sales - their refunds - their payment fees;
- liquidation ratio = net front-end revenue ÷ ad spend (1 or more: the front end paid for
  the ads, and bumps, upsells and downsells are profit);
- net revenue = every sale - every refund - every fee; earnings per visitor and per registrant
  = net revenue ÷ visitors (registrants);
- take rate of the bump, and of each upsell and downsell step = its orders ÷ front-end orders
  (every front-end buyer is shown the post-purchase chain);
- days to liquidate = days from the first cohort day until cumulative net revenue (by the day it
  was paid) first covers cumulative ad spend (0: the first day did), or None.

A figure that would divide by zero is None, and `notes` says why in words; nothing raises.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from evergreen.commerce.errors import CommerceInputError
from evergreen.money import show_money

__all__ = [
    "AdSpend",
    "FunnelStats",
    "OfferKind",
    "SaleLine",
    "Traffic",
    "days_to_liquidate",
    "funnel_stats",
]

_PLACES = Decimal("0.0001")
_ZERO = Decimal(0)
GROUPINGS = ("day", "campaign", "source", "total")


class OfferKind(StrEnum):
    """Where in the funnel a sale was made."""

    FRONT_END = "front_end"
    BUMP = "bump"
    UPSELL = "upsell"
    DOWNSELL = "downsell"


@dataclass(frozen=True)
class AdSpend:
    """What one campaign on one source cost on one day."""

    day: date
    campaign: str
    source: str
    amount: Decimal


@dataclass(frozen=True)
class Traffic:
    """Visitors and registrants (opt-ins) of one cohort day, campaign and source."""

    day: date
    campaign: str
    source: str
    visitors: int
    registrants: int


@dataclass(frozen=True)
class SaleLine:
    """One sale in the funnel (or `orders` alike, summed: a rollup's row), with what was
    refunded and what the payment provider kept."""

    day: date  # the cohort day: when the buyer entered the funnel
    campaign: str
    source: str
    kind: OfferKind
    amount: Decimal
    step: int = 1  # which upsell or downsell, from 1
    refunded: Decimal = _ZERO
    fee: Decimal = _ZERO
    paid_on: date | None = None  # when the money came in; the cohort day when not given
    orders: int = 1  # how many sales this line stands for (amounts are their sum)


@dataclass(frozen=True)
class FunnelStats:
    """One group's figures; None where a divisor was zero, with the reason in `notes`."""

    key: str
    ad_spend: Decimal
    visitors: int
    registrants: int
    front_end_orders: int
    front_end_revenue: Decimal
    bump_revenue: Decimal
    upsell_revenue: Decimal
    downsell_revenue: Decimal
    refunds: Decimal
    fees: Decimal
    net_front_end_revenue: Decimal
    net_revenue: Decimal
    liquidation_ratio: Decimal | None
    earnings_per_visitor: Decimal | None
    earnings_per_registrant: Decimal | None
    bump_take_rate: Decimal | None
    upsell_take_rates: tuple[tuple[int, Decimal | None], ...]
    downsell_take_rates: tuple[tuple[int, Decimal | None], ...]
    days_to_liquidate: int | None
    notes: tuple[str, ...]


def _amount(name: str, value: object) -> Decimal:
    """An amount a funnel can have: a finite Decimal of 0 or more, or refused by name."""
    if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite():
        raise CommerceInputError(name, "must be a Decimal amount like 12.50")
    if value < 0:
        raise CommerceInputError(name, f"must not be negative (got {value})")
    return value


def _check(spend: Sequence[AdSpend], traffic: Sequence[Traffic], sales: Sequence[SaleLine]) -> None:
    """Refuse amounts and counts no funnel can have, naming the field."""
    for row in spend:
        _amount("ad_spend.amount", row.amount)
    for visit in traffic:
        for name, count in (("visitors", visit.visitors), ("registrants", visit.registrants)):
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise CommerceInputError(f"traffic.{name}", "must be a whole number of 0 or more")
    for sale in sales:
        if not isinstance(sale.kind, OfferKind):
            raise CommerceInputError(
                "sale.kind", f"{sale.kind!r} is not front_end, bump, upsell or downsell"
            )
        amount = _amount("sale.amount", sale.amount)
        if _amount("sale.refunded", sale.refunded) > amount:
            raise CommerceInputError(
                "sale.refunded", f"{sale.refunded} is more than the sale ({amount})"
            )
        _amount("sale.fee", sale.fee)
        if isinstance(sale.step, bool) or not isinstance(sale.step, int) or sale.step < 1:
            raise CommerceInputError("sale.step", "must be 1 or more (the first upsell is 1)")
        if isinstance(sale.orders, bool) or not isinstance(sale.orders, int) or sale.orders < 1:
            raise CommerceInputError("sale.orders", "must be 1 or more (the sales it stands for)")


def _divide(part: Decimal, whole: Decimal, notes: list[str], why: str) -> Decimal | None:
    """part ÷ whole to four places, or None with the reason noted when whole is 0."""
    if whole == 0:
        notes.append(why)
        return None
    return (part / whole).quantize(_PLACES, rounding=ROUND_HALF_UP)


def _net(sale: SaleLine) -> Decimal:
    """What a sale left after its refund and the payment fee."""
    return sale.amount - sale.refunded - sale.fee


def days_to_liquidate(spend: Iterable[AdSpend], sales: Iterable[SaleLine]) -> int | None:
    """Days from the first day until cumulative net revenue covers cumulative spend, or None."""
    spent: dict[date, Decimal] = {}
    earned: dict[date, Decimal] = {}
    for row in spend:
        spent[row.day] = spent.get(row.day, _ZERO) + row.amount
    for sale in sales:
        day = sale.paid_on or sale.day
        earned[day] = earned.get(day, _ZERO) + _net(sale)
    if not spent:
        return None
    days = sorted(set(spent) | set(earned))
    total_spent, total_earned = _ZERO, _ZERO
    for day in days:
        total_spent += spent.get(day, _ZERO)
        total_earned += earned.get(day, _ZERO)
        if total_spent > 0 and total_earned >= total_spent:
            return (day - days[0]).days
    return None


def _rates(
    sales: Sequence[SaleLine], kind: OfferKind, orders: int, notes: list[str]
) -> tuple[tuple[int, Decimal | None], ...]:
    """Each upsell (or downsell) step's orders ÷ front-end orders, step by step."""
    steps = sorted({s.step for s in sales if s.kind is kind})
    rates = []
    for step in steps:
        taken = sum(s.orders for s in sales if s.kind is kind and s.step == step)
        why = f"no front-end orders, so no take rate for {kind.value} {step}"
        rates.append((step, _divide(Decimal(taken), Decimal(orders), notes, why)))
    return tuple(rates)


def _stats(
    key: str, spend: list[AdSpend], traffic: list[Traffic], sales: list[SaleLine]
) -> FunnelStats:
    """One group's figures from its own spend, traffic and sales."""
    notes: list[str] = []

    def total(kind: OfferKind) -> Decimal:
        """The gross sales of one kind of offer."""
        return sum((s.amount for s in sales if s.kind is kind), _ZERO)

    front = [s for s in sales if s.kind is OfferKind.FRONT_END]
    ad_spend = sum((row.amount for row in spend), _ZERO)
    visitors = sum(t.visitors for t in traffic)
    registrants = sum(t.registrants for t in traffic)
    net_front = sum((_net(s) for s in front), _ZERO)
    net = sum((_net(s) for s in sales), _ZERO)
    front_orders = sum(s.orders for s in front)
    orders = Decimal(front_orders)
    bump_taken = Decimal(sum(s.orders for s in sales if s.kind is OfferKind.BUMP))
    days = days_to_liquidate(spend, sales)
    if days is None and ad_spend > 0:
        notes.append(
            f"not liquidated yet: net revenue {show_money(net)} is below ad spend "
            f"{show_money(ad_spend)}"
        )
    return FunnelStats(
        key=key,
        ad_spend=ad_spend,
        visitors=visitors,
        registrants=registrants,
        front_end_orders=front_orders,
        front_end_revenue=total(OfferKind.FRONT_END),
        bump_revenue=total(OfferKind.BUMP),
        upsell_revenue=total(OfferKind.UPSELL),
        downsell_revenue=total(OfferKind.DOWNSELL),
        refunds=sum((s.refunded for s in sales), _ZERO),
        fees=sum((s.fee for s in sales), _ZERO),
        net_front_end_revenue=net_front,
        net_revenue=net,
        liquidation_ratio=_divide(
            net_front, ad_spend, notes, "no ad spend, so no liquidation ratio (nothing to pay back)"
        ),
        earnings_per_visitor=_divide(
            net, Decimal(visitors), notes, "no visitors, so no earnings per visitor"
        ),
        earnings_per_registrant=_divide(
            net, Decimal(registrants), notes, "no registrants, so no earnings per registrant"
        ),
        bump_take_rate=_divide(
            bump_taken, orders, notes, "no front-end orders, so no bump take rate"
        ),
        upsell_take_rates=_rates(sales, OfferKind.UPSELL, front_orders, notes),
        downsell_take_rates=_rates(sales, OfferKind.DOWNSELL, front_orders, notes),
        days_to_liquidate=days,
        notes=tuple(notes),
    )


def funnel_stats(
    spend: Sequence[AdSpend],
    traffic: Sequence[Traffic],
    sales: Sequence[SaleLine],
    *,
    by: str = "day",
) -> list[FunnelStats]:
    """The funnel's figures per cohort day, campaign, source, or in total, sorted by key."""
    if by not in GROUPINGS:
        raise CommerceInputError("by", f"must be one of {', '.join(GROUPINGS)}")
    _check(spend, traffic, sales)
    key: Callable[[AdSpend | Traffic | SaleLine], str] = {
        "day": lambda row: row.day.isoformat(),
        "campaign": lambda row: row.campaign,
        "source": lambda row: row.source,
        "total": lambda row: "total",
    }[by]
    spend_by: dict[str, list[AdSpend]] = {}
    traffic_by: dict[str, list[Traffic]] = {}
    sales_by: dict[str, list[SaleLine]] = {}
    for row in spend:
        spend_by.setdefault(key(row), []).append(row)
    for visit in traffic:
        traffic_by.setdefault(key(visit), []).append(visit)
    for sale in sales:
        sales_by.setdefault(key(sale), []).append(sale)
    keys = sorted(spend_by.keys() | traffic_by.keys() | sales_by.keys())
    return [
        _stats(k, spend_by.get(k, []), traffic_by.get(k, []), sales_by.get(k, [])) for k in keys
    ]
