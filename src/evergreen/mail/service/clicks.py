"""Clicks on a message's tracked links become the clicker's `clicked` activity, so segments,
the sequences' click triggers and the subscriber's history see them.

The links area stores every click; the sub2 of a mail link is the recipient's signed token
(kind "c"). A mark row says how far clicks were read; it moves in the transaction that records
their activity, so each click is folded once, and on PostgreSQL the row is locked first, so two
folds at once take turns (SQLite's writers already do).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from evergreen.audience import service as audience_service
from evergreen.db import Database
from evergreen.errors import NotFound
from evergreen.links import queries as links_queries
from evergreen.mail.models import MailClickMark
from evergreen.mail.rules import recipient_tokens

__all__ = ["Folded", "fold_backlog", "fold_clicks", "fold_clicks_report"]

log = logging.getLogger(__name__)
_MARK = "clicks"


@dataclass(frozen=True, slots=True)
class Folded:
    """One fold: clicks read, activity recorded, and why the other mail clicks were not."""

    read: int = 0
    recorded: int = 0
    not_human: int = 0
    bad_token: int = 0
    gone: int = 0
    through: int = 0

    def __add__(self, other: Folded) -> Folded:
        """Two folds' counts together; `through` is the later one's."""
        counts = {f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        return Folded(**(counts | {"through": max(self.through, other.through)}))

    def to_dict(self) -> dict[str, Any]:
        """The counts as JSON for the CLI."""
        return asdict(self)


def _locked_mark(session: Session) -> MailClickMark:
    """The mark row, created at 0 on first use and locked until this transaction ends."""
    dialect = session.get_bind().dialect.name
    make_insert = postgres_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        make_insert(MailClickMark)
        .values(name=_MARK, click_row=0)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return session.scalars(
        select(MailClickMark)
        .where(MailClickMark.name == _MARK)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _fold(session: Session, secret: str, limit: int) -> Folded:
    mark = _locked_mark(session)
    batch = links_queries.clicks_after(session, mark.click_row, max(limit, 1))
    recorded = not_human = bad = gone = 0
    for click in batch.clicks:
        if not click.human:
            not_human += 1
            continue
        token = recipient_tokens.decode(secret, click.sub2, "c")
        if token is None:  # a sub2 of someone else's making, or forged
            bad += 1
            continue
        try:
            audience_service.record_activity(
                session, token.subscriber_id, "clicked", click.slug, click.at
            )
        except NotFound:  # erased since the message went
            gone += 1
            continue
        recorded += 1
    mark.click_row = batch.through
    session.flush()
    return Folded(batch.read, recorded, not_human, bad, gone, batch.through)


def fold_clicks_report(db: Database, secret: str, *, limit: int = 5000) -> Folded:
    """Fold the next `limit` stored clicks into activity in one transaction; the counts."""
    with db.session() as session:
        folded = _fold(session, secret, limit)
    if folded.bad_token:
        log.info("clicks with a sub2 that is not our recipient token: %s", folded.bad_token)
    return folded


def fold_clicks(db: Database, secret: str, *, limit: int = 5000) -> int:
    """Fold the next `limit` stored clicks into their recipients' activity; how many were
    recorded."""
    return fold_clicks_report(db, secret, limit=limit).recorded


def fold_backlog(
    db: Database, secret: str, *, limit: int = 5000, run_s: float | None = None
) -> Folded:
    """Fold batch after batch (one transaction each) until a batch comes short or `run_s`
    seconds have passed; the counts together."""
    deadline = None if run_s is None else time.monotonic() + run_s
    limit = max(limit, 1)
    total = Folded()
    while True:
        folded = fold_clicks_report(db, secret, limit=limit)
        total += folded
        if folded.read < limit or (deadline is not None and time.monotonic() > deadline):
            return total
