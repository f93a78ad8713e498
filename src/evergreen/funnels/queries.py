"""Read models of the funnels area: the list, one funnel with its steps and variants, and the
report (per step and variant: visitors, conversions, rate, revenue; the self-liquidating
measures per cohort day and in total, from commerce's pure `funnel_stats`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.commerce import queries as commerce_queries
from evergreen.commerce.rules.funnel_stats import (
    AdSpend as SpendLine,
)
from evergreen.commerce.rules.funnel_stats import (
    FunnelStats,
    OfferKind,
    SaleLine,
    Traffic,
    funnel_stats,
)
from evergreen.funnels.models import AdSpend, Funnel, FunnelStep, FunnelTraffic, FunnelVariant
from evergreen.funnels.rules import OFFER_KINDS, StepPlan, on_sale, targets_of
from evergreen.money import show_amount

__all__ = [
    "FunnelCard",
    "Report",
    "StepLine",
    "StepSale",
    "funnel_card",
    "list_funnels",
    "not_on_sale",
    "offers_follow",
    "order_step_bump",
    "report",
    "report_dict",
    "step_after",
    "variant_dict",
    "variant_names",
]

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class StepSale:
    """A sale made on a funnel step's variant (commerce's orders, wired in by the integrator)."""

    step_id: int
    variant: str
    sale: SaleLine


@dataclass(frozen=True)
class FunnelCard:
    """A funnel with its steps in order and each step's variants."""

    funnel: Funnel
    steps: tuple[tuple[FunnelStep, tuple[FunnelVariant, ...]], ...]

    def to_dict(self) -> dict[str, Any]:
        """The funnel as the API and the CLI show it."""
        f = self.funnel
        return {
            "id": f.id, "name": f.name, "slug": f.slug, "status": f.status,
            "colours": {"primary": f.primary_colour, "background": f.background_colour,
                        "text": f.text_colour},
            "steps": [_step_dict(step, variants) for step, variants in self.steps],
        }  # fmt: skip


def _step_dict(step: FunnelStep, variants: tuple[FunnelVariant, ...]) -> dict[str, Any]:
    return {
        "id": step.id, "position": step.position, "kind": step.kind, "slug": step.slug,
        "title": step.title, "template": step.template, "list_id": step.list_id,
        "form_slug": step.form_slug,
        "webinar_slug": step.webinar_slug, "product_id": step.product_id,
        "bump_product_id": step.bump_product_id, "yes_step_id": step.yes_step_id,
        "no_step_id": step.no_step_id,
        "variants": [variant_dict(v) for v in variants],
    }  # fmt: skip


def variant_dict(row: FunnelVariant) -> dict[str, Any]:
    """A variant as the API shows it."""
    return {"id": row.id, "name": row.name, "weight": row.weight, "headline": row.headline,
            "content": row.content, "button": row.button}  # fmt: skip


def list_funnels(session: Session) -> list[tuple[Funnel, int]]:
    """Every funnel by name, with its number of steps."""
    counts = {
        int(funnel_id): int(count)
        for funnel_id, count in session.execute(
            select(FunnelStep.funnel_id, func.count()).group_by(FunnelStep.funnel_id)
        )
    }
    rows = session.scalars(select(Funnel).order_by(Funnel.name, Funnel.id))
    return [(row, int(counts.get(row.id, 0))) for row in rows]


def funnel_card(session: Session, funnel_id: int) -> FunnelCard | None:
    """One funnel with its steps and variants, or None."""
    funnel = session.get(Funnel, funnel_id)
    if funnel is None:
        return None
    steps = list(
        session.scalars(
            select(FunnelStep)
            .where(FunnelStep.funnel_id == funnel_id)
            .order_by(FunnelStep.position, FunnelStep.id)
        )
    )
    variants: dict[int, list[FunnelVariant]] = {}
    if steps:
        for row in session.scalars(
            select(FunnelVariant)
            .where(FunnelVariant.step_id.in_([s.id for s in steps]))
            .order_by(FunnelVariant.id)
        ):
            variants.setdefault(row.step_id, []).append(row)
    return FunnelCard(funnel, tuple((s, tuple(variants.get(s.id, []))) for s in steps))


def not_on_sale(session: Session, steps: list[FunnelStep]) -> dict[int, str]:
    """Selling steps whose product cannot be bought now, by step id, with why: the owner's
    page says so where visitors see "no longer on sale" instead of a button."""
    found: dict[int, str] = {}
    for step in steps:
        if step.kind not in OFFER_KINDS or not step.product_id:
            continue
        card = commerce_queries.product_card(session, step.product_id)
        if card is None:
            found[step.id] = "Its product is gone: visitors see that it is no longer on sale."
        elif not on_sale(card.product.status, card.product.kind):
            what = "a subscription" if card.product.kind == "subscription" else card.product.status
            found[step.id] = (
                f"{card.product.name} is {what}: visitors see that it is no longer on sale "
                "until it is active."
            )
    return found


@dataclass(frozen=True)
class StepLine:
    """One step's variant in the report; the rate is conversions ÷ visitors (None: no one)."""

    step: FunnelStep
    variant: FunnelVariant
    visitors: int
    views: int
    conversions: int
    rate: Decimal | None
    revenue: Decimal

    def to_dict(self) -> dict[str, Any]:
        """The line as the API shows it."""
        return {
            "step_id": self.step.id, "step": self.step.slug, "kind": self.step.kind,
            "variant": self.variant.name, "visitors": self.visitors, "views": self.views,
            "conversions": self.conversions,
            "conversion_rate": None if self.rate is None else str(self.rate),
            "revenue": show_amount(self.revenue),
        }  # fmt: skip


@dataclass(frozen=True)
class Report:
    """A funnel's report over a range of days."""

    card: FunnelCard
    start: date
    end: date
    lines: tuple[StepLine, ...]
    currency: str | None  # of the ad spend, else of most sales
    by_day: tuple[FunnelStats, ...]
    total: FunnelStats


_KINDS = {"main": OfferKind.FRONT_END, "bump": OfferKind.BUMP, "upsell": OfferKind.UPSELL,
          "downsell": OfferKind.DOWNSELL}  # fmt: skip


def _offer_numbers(card: FunnelCard) -> dict[int, int]:
    """Step id → which upsell (or downsell) it is, from 1 in the funnel's order, so each
    offer step has its own take rate."""
    numbers: dict[int, int] = {}
    for kind in ("upsell", "downsell"):
        mine = [step.id for step, _variants in card.steps if step.kind == kind]
        numbers.update({step_id: n for n, step_id in enumerate(mine, start=1)})
    return numbers


def _sales(
    session: Session,
    funnel_id: int,
    start: date,
    end: date,
    currency: str | None,
    numbers: dict[int, int],
) -> tuple[str | None, list[StepSale]]:
    """The funnel's paid order lines (commerce's daily rollup: alike lines summed) in one
    currency: the ad spend's, else the one most sales were made in (money in other currencies
    is never added to it). A sale's cohort day is the day it was paid; an upsell's or
    downsell's step says which one it was."""
    since = datetime.combine(start, time(), UTC)
    until = datetime.combine(end + timedelta(days=1), time(), UTC)
    sold = commerce_queries.funnel_sales(session, funnel_id, since, until)
    if currency is None and sold:
        counts: Counter[str] = Counter()
        for s in sold:
            counts[s.currency] += s.orders
        currency = counts.most_common(1)[0][0]
    return currency, [
        StepSale(
            s.step_id or 0,
            s.variant or "",
            SaleLine(
                s.day,
                "",
                "",
                _KINDS.get(s.role, OfferKind.FRONT_END),
                Decimal(s.amount_net) / 100,
                step=numbers.get(s.step_id or 0, 1),
                refunded=Decimal(s.refunded) / 100,
                fee=Decimal(s.fee) / 100,
                paid_on=s.day,
                orders=s.orders,
            ),
        )
        for s in sold
        if s.currency == currency
    ]


def _traffic(
    session: Session, funnel_id: int, start: date, end: date
) -> dict[tuple[int, date], tuple[int, int, int]]:
    """(variant, day) → (visitors, views, conversions)."""
    rows = session.execute(
        select(
            FunnelTraffic.variant_id,
            FunnelTraffic.day,
            FunnelTraffic.visitors,
            FunnelTraffic.views,
            FunnelTraffic.conversions,
        ).where(
            FunnelTraffic.funnel_id == funnel_id,
            FunnelTraffic.day >= start,
            FunnelTraffic.day <= end,
        )
    )
    return {(v, d): (int(a), int(b), int(c)) for v, d, a, b, c in rows}


def report(session: Session, funnel_id: int, start: date, end: date) -> Report | None:
    """Per step and variant, and the self-liquidating measures per cohort day and in total."""
    card = funnel_card(session, funnel_id)
    if card is None:
        return None
    counts = _traffic(session, funnel_id, start, end)
    spend_rows = list(
        session.scalars(
            select(AdSpend).where(
                AdSpend.funnel_id == funnel_id, AdSpend.day >= start, AdSpend.day <= end
            )
        )
    )
    currency, sales = _sales(
        session,
        funnel_id,
        start,
        end,
        spend_rows[0].currency if spend_rows else None,
        _offer_numbers(card),
    )
    lines = []
    for step, variants in card.steps:
        for variant in variants:
            mine = [c for (v, _d), c in counts.items() if v == variant.id]
            visitors, views, conversions = (sum(c[i] for c in mine) for i in range(3))
            revenue = sum(
                (s.sale.amount - s.sale.refunded for s in sales
                 if s.step_id == step.id and s.variant == variant.name),
                Decimal(0),
            )  # fmt: skip
            rate = (
                (Decimal(conversions) / visitors).quantize(Decimal("0.0001")) if visitors else None
            )
            lines.append(StepLine(step, variant, visitors, views, conversions, rate, revenue))
    spend = [
        SpendLine(r.day, r.campaign, r.source, (Decimal(r.amount_cents) / 100).quantize(_CENT))
        for r in spend_rows
    ]
    traffic = _cohort_traffic(card, counts)
    sale_lines = [s.sale for s in sales]
    by_day = funnel_stats(spend, traffic, sale_lines, by="day")
    total = funnel_stats(spend, traffic, sale_lines, by="total")
    empty = funnel_stats([], [Traffic(start, "", "", 0, 0)], [], by="total")
    return Report(card, start, end, tuple(lines), currency, tuple(by_day), (total or empty)[0])


def _cohort_traffic(
    card: FunnelCard, counts: dict[tuple[int, date], tuple[int, int, int]]
) -> list[Traffic]:
    """Visitors of the first step and registrants (conversions of opt-in and webinar steps) per
    day; ad spend is not split by campaign on the pages, so traffic has none."""
    if not card.steps:
        return []
    first = {v.id for v in card.steps[0][1]}
    joins = {v.id for step, variants in card.steps if step.kind in ("optin", "webinar")
             for v in variants}  # fmt: skip
    days: dict[date, list[int]] = {}
    for (variant, day), (visitors, _views, conversions) in counts.items():
        got = days.setdefault(day, [0, 0])
        if variant in first:
            got[0] += visitors
        if variant in joins:
            got[1] += conversions
    return [Traffic(day, "", "", v, r) for day, (v, r) in sorted(days.items())]


def _stats_dict(stats: FunnelStats) -> dict[str, Any]:
    """One group's self-liquidating figures, amounts as the API writes money (two decimals,
    or the stored ones when finer) and ratios as strings (exact)."""

    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    money = show_amount
    return {
        "key": stats.key, "ad_spend": money(stats.ad_spend), "visitors": stats.visitors,
        "registrants": stats.registrants, "front_end_orders": stats.front_end_orders,
        "front_end_revenue": money(stats.front_end_revenue),
        "bump_revenue": money(stats.bump_revenue), "upsell_revenue": money(stats.upsell_revenue),
        "downsell_revenue": money(stats.downsell_revenue), "refunds": money(stats.refunds),
        "fees": money(stats.fees), "net_front_end_revenue": money(stats.net_front_end_revenue),
        "net_revenue": money(stats.net_revenue),
        "liquidation_ratio": text(stats.liquidation_ratio),
        "earnings_per_visitor": text(stats.earnings_per_visitor),
        "earnings_per_registrant": text(stats.earnings_per_registrant),
        "bump_take_rate": text(stats.bump_take_rate),
        "upsell_take_rates": {str(n): text(r) for n, r in stats.upsell_take_rates},
        "downsell_take_rates": {str(n): text(r) for n, r in stats.downsell_take_rates},
        "days_to_liquidate": stats.days_to_liquidate, "notes": list(stats.notes),
    }  # fmt: skip


def report_dict(found: Report) -> dict[str, Any]:
    """The report as the API and the CLI show it."""
    return {
        "funnel": {"id": found.card.funnel.id, "slug": found.card.funnel.slug},
        "start": found.start.isoformat(),
        "end": found.end.isoformat(),
        "currency": found.currency,
        "steps": [line.to_dict() for line in found.lines],
        "by_day": [_stats_dict(s) for s in found.by_day],
        "total": _stats_dict(found.total),
    }


def _plans(session: Session, funnel_id: int) -> tuple[Funnel | None, list[FunnelStep]]:
    funnel = session.get(Funnel, funnel_id)
    steps = session.scalars(select(FunnelStep).where(FunnelStep.funnel_id == funnel_id))
    return funnel, list(steps)


def _plan(step: FunnelStep) -> StepPlan:
    return StepPlan(step.id, step.position, step.kind, step.yes_step_id, step.no_step_id)


def offers_follow(session: Session, funnel_id: int, step_id: int) -> bool:
    """Whether an upsell or downsell comes after this step (checkout then saves the card)."""
    _funnel, steps = _plans(session, funnel_id)
    here = next((s for s in steps if s.id == step_id), None)
    return here is not None and any(
        s.kind in ("upsell", "downsell") and (s.position, s.id) > (here.position, here.id)
        for s in steps
    )


def order_step_bump(session: Session, funnel_id: int, step_id: int, product_id: int) -> int | None:
    """The bump a funnel's order step chose for its product's checkout (None: none chosen, or
    no order step of this funnel sells that product, so the product's own bump stands)."""
    step = session.get(FunnelStep, step_id)
    if step is None or step.funnel_id != funnel_id or step.kind != "order":
        return None
    return step.bump_product_id if step.product_id == product_id else None


def step_after(session: Session, funnel_id: int, step_id: int, *, accepted: bool) -> str | None:
    """The path (/p/<funnel>/<step>) a buyer goes to after this step: its "yes" target when they
    accepted (or bought), else its "no" target; None at the end or for a draft funnel."""
    funnel, steps = _plans(session, funnel_id)
    here = next((s for s in steps if s.id == step_id), None)
    if funnel is None or here is None or funnel.status != "live":
        return None
    yes, no = targets_of(_plan(here), [_plan(s) for s in steps])
    target = yes if accepted or no is None else no
    found = next((s for s in steps if s.id == target), None)
    return f"/p/{funnel.slug}/{found.slug}" if found is not None else None


def variant_names(session: Session, step_id: int) -> set[str]:
    """The names of a step's variants (A, B, …)."""
    return set(session.scalars(select(FunnelVariant.name).where(FunnelVariant.step_id == step_id)))
