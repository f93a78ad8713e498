"""A step's A/B variants: the only writer of that table. A step keeps at least one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.errors import Conflict, NotFound
from evergreen.funnels.errors import FunnelInputError
from evergreen.funnels.models import FunnelVariant
from evergreen.funnels.rules import check_content, check_variant_name, check_weight
from evergreen.funnels.service.funnels import get_step

__all__ = ["VariantDraft", "add_variant", "get_variant", "remove_variant", "update_variant"]


@dataclass(frozen=True)
class VariantDraft:
    """A variant as entered: its name, weight, headline, Markdown and button words."""

    name: str
    weight: int = 1
    headline: str = ""
    content: str = ""
    button: str = "Continue"


def get_variant(session: Session, funnel_id: int, variant_id: int) -> FunnelVariant:
    """A variant of one of this funnel's steps."""
    found = session.get(FunnelVariant, variant_id)
    if found is None:
        raise NotFound("variant_id", f"no variant {variant_id}")
    get_step(session, funnel_id, found.step_id)
    return found


def _apply(session: Session, row: FunnelVariant, draft: VariantDraft) -> FunnelVariant:
    row.name = check_variant_name(draft.name)
    row.weight = check_weight(draft.weight)
    headline = " ".join(draft.headline.split())
    if len(headline) > 200:
        raise FunnelInputError("headline", "must be at most 200 characters")
    button = " ".join(draft.button.split()) or "Continue"
    if len(button) > 60:
        raise FunnelInputError("button", "must be at most 60 characters")
    row.headline, row.button, row.content = headline, button, check_content(draft.content)
    with session.no_autoflush:
        clash = session.scalar(
            select(FunnelVariant.id).where(
                FunnelVariant.step_id == row.step_id,
                FunnelVariant.name == row.name,
                FunnelVariant.id != (row.id or 0),
            )
        )
    if clash is not None:
        raise Conflict("name", f"this step already has a variant {row.name}")
    session.add(row)
    session.flush()
    return row


def add_variant(
    session: Session, funnel_id: int, step_id: int, draft: VariantDraft
) -> FunnelVariant:
    """Another version of a step's page, shown by weight."""
    get_step(session, funnel_id, step_id)
    return _apply(session, FunnelVariant(step_id=step_id), draft)


def update_variant(
    session: Session, funnel_id: int, variant_id: int, draft: VariantDraft
) -> FunnelVariant:
    """Change a variant's weight, words or content."""
    return _apply(session, get_variant(session, funnel_id, variant_id), draft)


def remove_variant(session: Session, funnel_id: int, variant_id: int) -> None:
    """Delete a variant and its traffic; the step's last variant stays."""
    row = get_variant(session, funnel_id, variant_id)
    count = len(
        list(session.scalars(select(FunnelVariant.id).where(FunnelVariant.step_id == row.step_id)))
    )
    if count <= 1:
        raise FunnelInputError("variant_id", "a step keeps at least one variant")
    session.delete(row)
    session.flush()
