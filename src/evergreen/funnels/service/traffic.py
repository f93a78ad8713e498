"""A public page view: which funnel, step and variant, and the day's counters it adds.

Counters are upserted (INSERT … ON CONFLICT DO UPDATE … + 1) in one statement per row, so any
number of concurrent visitors add up exactly on SQLite and PostgreSQL, and a report reads one
row per step, variant and day however large the traffic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from evergreen.errors import NotFound
from evergreen.funnels.models import Funnel, FunnelStep, FunnelTraffic, FunnelVariant
from evergreen.funnels.rules import (
    StepPlan,
    Visitor,
    cookie_name,
    count_visit,
    new_visitor,
    pick_variant,
    read_cookie,
    targets_of,
    write_cookie,
)

__all__ = ["PageView", "plans_of", "public_step", "view_step"]


@dataclass(frozen=True)
class PageView:
    """What a visitor is shown: the funnel, its steps in order, the step and its variant."""

    funnel: Funnel
    steps: tuple[FunnelStep, ...]
    step: FunnelStep
    variant: FunnelVariant
    cookie: str  # the visitor cookie to set, signed


def plans_of(steps: tuple[FunnelStep, ...]) -> tuple[StepPlan, ...]:
    """The steps as the pure rules take them."""
    return tuple(StepPlan(s.id, s.position, s.kind, s.yes_step_id, s.no_step_id) for s in steps)


def public_step(
    session: Session, funnel_slug: str, step_slug: str, *, owner: bool
) -> tuple[Funnel, tuple[FunnelStep, ...], FunnelStep]:
    """The funnel and step at /p/<funnel>/<step>; a draft is the owner's alone (404 to others)."""
    gone = NotFound("slug", "there is no page at this address")
    funnel = session.scalar(select(Funnel).where(Funnel.slug == funnel_slug.lower()))
    if funnel is None or (funnel.status != "live" and not owner):
        raise gone
    steps = tuple(
        session.scalars(
            select(FunnelStep)
            .where(FunnelStep.funnel_id == funnel.id)
            .order_by(FunnelStep.position, FunnelStep.id)
        )
    )
    step = next((s for s in steps if s.slug == step_slug.lower()), None)
    if step is None:
        raise gone
    return funnel, steps, step


def _variant_for(session: Session, visitor: Visitor, step_id: int) -> FunnelVariant:
    variants = list(
        session.scalars(
            select(FunnelVariant).where(FunnelVariant.step_id == step_id).order_by(FunnelVariant.id)
        )
    )
    if not variants:
        raise NotFound("slug", "there is no page at this address")
    name = pick_variant(visitor.id, step_id, [(v.name, v.weight) for v in variants])
    return next((v for v in variants if v.name == name), variants[0])


def _add(session: Session, row: FunnelVariant, funnel_id: int, day: date, **counts: int) -> None:
    """Add to a variant's counters of the day, creating the row at its first count."""
    insert = postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(FunnelTraffic).values(
        funnel_id=funnel_id,
        step_id=row.step_id,
        variant_id=row.id,
        day=day,
        visitors=counts.get("visitors", 0),
        views=counts.get("views", 0),
        conversions=counts.get("conversions", 0),
    )
    statement = statement.on_conflict_do_update(
        index_elements=["variant_id", "day"],
        set_={name: getattr(FunnelTraffic, name) + statement.excluded[name] for name in counts},
    )
    session.execute(statement)


def view_step(
    session: Session,
    secret: str,
    funnel_slug: str,
    step_slug: str,
    cookies: Mapping[str, str],
    *,
    day: date,
    owner: bool = False,
    count: bool = True,
    variant_name: str | None = None,
) -> PageView:
    """Show a step: the visitor's sticky variant, counted (a view; a new visitor; a conversion
    of the step that led here) unless `count` is off (the owner's preview)."""
    funnel, steps, step = public_step(session, funnel_slug, step_slug, owner=owner)
    visitor = read_cookie(secret, funnel.id, cookies.get(cookie_name(funnel.id))) or new_visitor()
    variant = _variant_for(session, visitor, step.id)
    if variant_name is not None:  # the owner's preview of one variant
        chosen = session.scalar(
            select(FunnelVariant).where(
                FunnelVariant.step_id == step.id, FunnelVariant.name == variant_name
            )
        )
        variant = chosen or variant
    plans = plans_of(steps)
    before = tuple(p.id for p in plans if step.id in targets_of(p, plans))
    counted = count_visit(visitor, step.id, before)
    if count:
        _add(session, variant, funnel.id, day, views=1, visitors=int(counted.new_visitor))
        if counted.converts is not None:
            earlier = _variant_for(session, visitor, counted.converts)
            _add(session, earlier, funnel.id, day, conversions=1)
    return PageView(funnel, steps, step, variant, write_cookie(secret, funnel.id, counted.visitor))
