"""Link use cases: create, change, find, import and delete links (the only writer of `links`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from evergreen.db import utcnow, write_unless_taken
from evergreen.errors import NotFound
from evergreen.ledger import service as ledger
from evergreen.links.drafts import LinkDraft, check_draft
from evergreen.links.models import Link
from evergreen.links.rules import LinkRuleError, generate_slug

__all__ = [
    "BulkResult",
    "LinkDraft",
    "LinkNotFound",
    "Saved",
    "bulk_create",
    "create_link",
    "delete_link",
    "get_link",
    "list_links",
    "update_link",
]


class LinkNotFound(NotFound):
    """No link with that slug: 404 in the API and on pages, one line at the CLI."""

    def __init__(self, slug: str) -> None:
        super().__init__("slug", f"No link with slug {slug!r}.")
        self.slug = slug

    def __str__(self) -> str:
        return self.message  # the sentence it always read as, for callers that show str(exc)


@dataclass(frozen=True)
class Saved:
    """A stored link and anything the person should know about it."""

    link: Link
    warnings: list[str]


@dataclass
class BulkResult:
    """Per-row outcome of an import: what was created and which rows were refused and why."""

    created: list[Link] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)


def _slug_taken(session: Session, slug: str, except_id: int | None = None) -> bool:
    query = select(Link.id).where(Link.slug == slug)
    if except_id is not None:
        query = query.where(Link.id != except_id)
    return session.scalar(query) is not None


def _check_stream(session: Session, values: dict[str, object]) -> None:
    """A link's stream must exist (the ledger's streams)."""
    stream_id = values.get("stream_id")
    if isinstance(stream_id, int):
        ledger.require_stream(session, stream_id, LinkRuleError)


def create_link(session: Session, draft: LinkDraft) -> Saved:
    """Store a new link; a generated slug is retried until it is free."""
    values, warnings = check_draft(draft)
    _check_stream(session, values)
    if not draft.slug:
        while _slug_taken(session, values["slug"]):
            values["slug"] = generate_slug()
    link = Link(**values)
    # Two people may save the same slug at the same moment.
    if not write_unless_taken(
        session, lambda: session.add(link), lambda: _slug_taken(session, values["slug"])
    ):
        raise LinkRuleError("slug", f"'{values['slug']}' is already used by another link")
    return Saved(link, warnings)


def get_link(session: Session, slug: str) -> Link:
    """The link with this slug (slugs are case-insensitive)."""
    link = session.scalar(select(Link).where(Link.slug == slug.strip().lower()))
    if link is None:
        raise LinkNotFound(slug)
    return link


def _locked(session: Session, slug: str) -> Link:
    """The link read afresh and locked until the unit of work ends: an edit racing the link's
    deletion then finds it gone (404) instead of updating no row (a 500)."""
    query = select(Link).where(Link.slug == slug.strip().lower()).with_for_update()
    link = session.scalar(query.execution_options(populate_existing=True))
    if link is None:
        raise LinkNotFound(slug)
    return link


def update_link(session: Session, slug: str, draft: LinkDraft) -> Saved:
    """Replace a link's settings; its clicks and statistics stay."""
    link = _locked(session, slug)
    values, warnings = check_draft(draft if draft.slug else replace(draft, slug=link.slug))
    _check_stream(session, values)

    def write() -> None:
        if values["destination"] != link.destination:  # the verdict was on the old destination
            link.health, link.health_detail, link.health_checked_at = "unchecked", "", None
        for name, value in values.items():
            setattr(link, name, value)
        link.updated_at = utcnow()

    # Renamed, perhaps, to a slug another request takes at this moment.
    if not write_unless_taken(
        session, write, lambda: _slug_taken(session, values["slug"], except_id=link.id)
    ):
        raise LinkRuleError("slug", f"'{values['slug']}' is already used by another link")
    return Saved(link, warnings)


def delete_link(session: Session, slug: str) -> None:
    """Delete a link and, with it, its clicks and rollups."""
    session.delete(get_link(session, slug))


def list_links(
    session: Session,
    *,
    search: str = "",
    tag: str = "",
    channel: str = "",
    kind: str = "",
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Link], int]:
    """Links matching the filters, newest first, with the total count for paging."""
    query = select(Link)
    if search.strip():
        needle = (
            search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        )
        pattern = f"%{needle}%"
        query = query.where(
            or_(
                Link.slug.like(pattern, escape="\\"),
                func.lower(Link.title).like(pattern, escape="\\"),
                func.lower(Link.destination).like(pattern, escape="\\"),
            )
        )
    if channel:
        query = query.where(Link.channel == channel.lower())
    if kind:
        query = query.where(Link.kind == kind)
    rows = list(session.scalars(query.order_by(Link.id.desc())))
    if tag:
        rows = [link for link in rows if tag.lower() in link.tags]
    return rows[offset : offset + limit], len(rows)


def bulk_create(session: Session, drafts: Iterable[tuple[int, LinkDraft]]) -> BulkResult:
    """Create many links; a bad row is reported with its line number and the others still land."""
    result = BulkResult()
    for line, draft in drafts:
        try:
            with session.begin_nested():
                result.created.append(create_link(session, draft).link)
        except LinkRuleError as exc:
            result.errors.append((line, exc.field, exc.message))
    return result
