"""Funnels and their steps: the only writer of those tables. A new step gets its variant A."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.audience import queries as audience
from evergreen.audience import service as signups
from evergreen.commerce import queries as commerce
from evergreen.commerce import service as checkout
from evergreen.digits import row_id
from evergreen.errors import Conflict, NotFound
from evergreen.funnels.errors import FunnelInputError
from evergreen.funnels.models import Funnel, FunnelStep, FunnelVariant
from evergreen.funnels.rules import (
    check_colour,
    check_kind_needs,
    check_name,
    check_offer_product,
    check_slug,
    check_status,
    check_template,
    slug_of,
)
from evergreen.webinars import queries as webinars

__all__ = [
    "FunnelDraft",
    "StepDraft",
    "add_funnel",
    "add_step",
    "find_funnel",
    "get_funnel",
    "get_step",
    "move_step",
    "remove_funnel",
    "remove_step",
    "update_funnel",
    "update_step",
]


@dataclass(frozen=True)
class FunnelDraft:
    """A funnel as entered; an empty slug is made from the name (kept as it is on an edit)."""

    name: str
    slug: str = ""
    status: str = "draft"
    primary_colour: str = "#1f6f43"
    background_colour: str = "#ffffff"
    text_colour: str = "#1b1b1b"


@dataclass(frozen=True)
class StepDraft:
    """A step as entered: its kind, title, address part and what its kind needs."""

    kind: str
    title: str
    slug: str = ""
    template: str = "classic"
    list_id: int | None = None
    form_slug: str | None = None
    webinar_slug: str | None = None
    product_id: int | None = None
    bump_product_id: int | None = None
    yes_step_id: int | None = None
    no_step_id: int | None = None


def get_funnel(session: Session, funnel_id: int, *, lock: bool = False) -> Funnel:
    """The funnel with this id; `lock`: read afresh and held until the unit of work ends, for
    a change of what belongs to it decided on what it holds now."""
    if lock:
        found = session.get(
            Funnel, funnel_id, with_for_update={"key_share": True}, populate_existing=True
        )
    else:
        found = session.get(Funnel, funnel_id)
    if found is None:
        raise NotFound("funnel_id", f"no funnel {funnel_id}")
    return found


def find_funnel(session: Session, ref: str) -> Funnel:
    """A funnel by its slug (or its id written as digits), for the command line."""
    text = ref.strip()
    found = session.scalar(select(Funnel).where(Funnel.slug == text.lower()))
    if found is None and (number := row_id(text)) is not None:
        found = session.get(Funnel, number)
    if found is None:
        raise NotFound("slug", f"no funnel {text[:100]!r}")
    return found


def get_step(session: Session, funnel_id: int, step_id: int) -> FunnelStep:
    """A step of this funnel."""
    found = session.get(FunnelStep, step_id)
    if found is None or found.funnel_id != funnel_id:
        raise NotFound("step_id", f"no step {step_id} in funnel {funnel_id}")
    return found


def _fill(session: Session, row: Funnel, draft: FunnelDraft) -> Funnel:
    row.name = check_name("name", draft.name)
    # An edit without a slug keeps the funnel's address: links to a live funnel must not break.
    row.slug = check_slug("slug", draft.slug.strip() or row.slug or slug_of(row.name))
    row.status = check_status(draft.status)
    row.primary_colour = check_colour("primary_colour", draft.primary_colour)
    row.background_colour = check_colour("background_colour", draft.background_colour)
    row.text_colour = check_colour("text_colour", draft.text_colour)
    with session.no_autoflush:
        clash = session.scalar(
            select(Funnel.id).where(Funnel.slug == row.slug, Funnel.id != (row.id or 0))
        )
    if clash is not None:
        raise Conflict("slug", f"another funnel is at /p/{row.slug}")
    session.add(row)
    session.flush()
    return row


def add_funnel(session: Session, draft: FunnelDraft) -> Funnel:
    """A new funnel (a draft unless said otherwise)."""
    return _fill(session, Funnel(), draft)


def update_funnel(session: Session, funnel_id: int, draft: FunnelDraft) -> Funnel:
    """Rename, recolour, move or publish a funnel."""
    return _fill(session, get_funnel(session, funnel_id), draft)


def remove_funnel(session: Session, funnel_id: int) -> None:
    """Delete a funnel with its steps, variants, traffic and spend."""
    session.delete(get_funnel(session, funnel_id))
    session.flush()


def _check_refs(
    session: Session, funnel_id: int, draft: StepDraft, webinar: str | None, form: str | None
) -> None:
    """Refuse a list, product, webinar page, sign-up form or target step that does not exist, a
    product the step can never sell, and an order bump that commerce would refuse beside the
    step's product (the rules of a product's own bump). A draft or paused product is kept: the
    step says it is not on sale until it is."""
    if draft.list_id and draft.list_id not in {i for i, _ in audience.list_choices(session)}:
        raise FunnelInputError("list_id", f"no audience list {draft.list_id}")
    if webinar and webinar not in {card.slug for card in webinars.list_webinars(session)}:
        raise FunnelInputError("webinar_slug", f"no webinar has its page at /w/{webinar}")
    if form and form not in {row.slug for row in signups.list_forms(session)}:
        raise FunnelInputError("form_slug", f"no sign-up form is at /f/{form}")
    for name in ("product_id", "bump_product_id"):
        product = getattr(draft, name)
        card = commerce.product_card(session, product) if product else None
        if product and card is None:
            raise FunnelInputError(name, f"no product {product}")
        if name == "product_id" and card is not None:
            check_offer_product(draft.kind, card.product.name, card.product.kind)
    if draft.product_id and draft.bump_product_id:
        checkout.check_bump(session, draft.product_id, draft.bump_product_id)
    for name in ("yes_step_id", "no_step_id"):
        target = getattr(draft, name)
        if target:
            found = session.get(FunnelStep, target)
            if found is None or found.funnel_id != funnel_id:
                raise FunnelInputError(name, f"no step {target} in this funnel")


def _apply(session: Session, row: FunnelStep, draft: StepDraft) -> FunnelStep:
    webinar = check_slug("webinar_slug", draft.webinar_slug) if draft.webinar_slug else None
    form = check_slug("form_slug", draft.form_slug) if draft.form_slug else None
    if form and draft.kind != "optin":
        raise FunnelInputError("form_slug", "only an opt-in step opens a sign-up form")
    check_kind_needs(
        draft.kind,
        list_id=draft.list_id,
        webinar_slug=webinar,
        product_id=draft.product_id,
        bump_product_id=draft.bump_product_id,
        targets=bool(draft.yes_step_id or draft.no_step_id),
        form_slug=form,
    )
    _check_refs(session, row.funnel_id, draft, webinar, form)
    row.kind, row.title = draft.kind, check_name("title", draft.title)
    row.slug = check_slug("slug", draft.slug.strip() or row.slug or slug_of(row.title))
    row.template = check_template(draft.template)
    row.list_id, row.form_slug, row.webinar_slug = draft.list_id or None, form, webinar
    row.product_id, row.bump_product_id = draft.product_id or None, draft.bump_product_id or None
    row.yes_step_id, row.no_step_id = draft.yes_step_id or None, draft.no_step_id or None
    with session.no_autoflush:
        clash = session.scalar(
            select(FunnelStep.id).where(
                FunnelStep.funnel_id == row.funnel_id,
                FunnelStep.slug == row.slug,
                FunnelStep.id != (row.id or 0),
            )
        )
    if clash is not None:
        raise Conflict("slug", f"another step of this funnel is at {row.slug}")
    session.add(row)
    session.flush()
    return row


def _lock_order(session: Session, funnel_id: int) -> None:
    """Hold the funnel until this unit of work ends, before its steps' order is read (as
    `get_funnel(lock=True)`, for a funnel that may not exist): two changes of the order at once
    otherwise each wrote positions computed from the order they read, and two steps shared a
    position (PostgreSQL; a SQLite writer already holds the file)."""
    session.execute(select(Funnel.id).where(Funnel.id == funnel_id).with_for_update(key_share=True))


def add_step(session: Session, funnel_id: int, draft: StepDraft) -> FunnelStep:
    """A step at the end of the funnel, with variant A holding its title as the headline."""
    get_funnel(session, funnel_id, lock=True)  # the order is read next
    last = session.scalar(
        select(func.max(FunnelStep.position)).where(FunnelStep.funnel_id == funnel_id)
    )
    row = _apply(session, FunnelStep(funnel_id=funnel_id, position=(last or 0) + 1), draft)
    session.add(FunnelVariant(step_id=row.id, name="A", weight=1, headline=row.title))
    session.flush()
    return row


def update_step(session: Session, funnel_id: int, step_id: int, draft: StepDraft) -> FunnelStep:
    """Change a step's kind, title, address or what it offers."""
    return _apply(session, get_step(session, funnel_id, step_id), draft)


def _steps(session: Session, funnel_id: int) -> list[FunnelStep]:
    return list(
        session.scalars(
            select(FunnelStep)
            .where(FunnelStep.funnel_id == funnel_id)
            .order_by(FunnelStep.position, FunnelStep.id)
        )
    )


def remove_step(session: Session, funnel_id: int, step_id: int) -> None:
    """Delete a step (its variants and traffic go with it); targets to it fall back to next."""
    _lock_order(session, funnel_id)
    row = get_step(session, funnel_id, step_id)
    for other in _steps(session, funnel_id):
        if other.yes_step_id == step_id:
            other.yes_step_id = None
        if other.no_step_id == step_id:
            other.no_step_id = None
    session.delete(row)
    session.flush()
    for position, other in enumerate(_steps(session, funnel_id), start=1):
        other.position = position
    session.flush()


def move_step(session: Session, funnel_id: int, step_id: int, direction: str) -> None:
    """Swap a step with the one before ("up") or after ("down")."""
    if direction not in ("up", "down"):
        raise FunnelInputError("direction", "must be up or down")
    _lock_order(session, funnel_id)
    steps = _steps(session, funnel_id)
    index = next((i for i, s in enumerate(steps) if s.id == step_id), None)
    if index is None:
        raise NotFound("step_id", f"no step {step_id} in funnel {funnel_id}")
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(steps):
        steps[index], steps[other] = steps[other], steps[index]
    for position, step in enumerate(steps, start=1):
        step.position = position
    session.flush()
