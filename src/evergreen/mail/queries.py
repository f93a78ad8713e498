"""What pages, the API and other areas read of mail: broadcasts with their counts and stats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.links import queries as links_queries
from evergreen.mail.models import Broadcast, MailLink, MailSend

__all__ = [
    "BroadcastCard",
    "Stats",
    "StepMessage",
    "broadcast_card",
    "broadcasts",
    "kept_counts",
    "message_numbers",
    "opens_of",
    "stats",
    "step_messages",
]


@dataclass(frozen=True)
class BroadcastCard:
    """A broadcast at a glance."""

    id: int
    subject: str
    format: str
    list_id: int | None
    segment: str  # the segment's name as chosen; "" for the whole list
    segment_id: int | None  # None with a name: the segment was deleted since
    status: str
    scheduled_at: datetime | None
    recipients: int
    counts: dict[str, int]
    pause_reason: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """The API's shape."""
        return {
            "id": self.id,
            "subject": self.subject,
            "format": self.format,
            "list_id": self.list_id,
            "segment": self.segment,
            "segment_id": self.segment_id,
            "status": self.status,
            "scheduled_at": self.scheduled_at.isoformat() if self.scheduled_at else None,
            "recipients": self.recipients,
            "counts": self.counts,
            "pause_reason": self.pause_reason,
            "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


@dataclass(frozen=True)
class Stats:
    """What became of a broadcast: the send log by status, opens apart from Apple's proxy,
    clicks on its tracking links, complaints, and messages that may have gone twice."""

    recipients: int
    sent: int
    failed: int
    bounced: int
    skipped: int
    waiting: int
    opened: int
    opened_proxy: int
    clicked: int
    complaints: int
    maybe_delivered: int

    def to_dict(self) -> dict[str, int]:
        """The API's shape."""
        return dict(self.__dict__)


def _card(row: Broadcast, counts: dict[str, int]) -> BroadcastCard:
    return BroadcastCard(
        row.id,
        row.subject,
        row.format,
        row.list_id,
        row.segment,
        row.segment_id,
        row.status,
        row.scheduled_at,
        row.recipients,
        counts,
        row.pause_reason,
        row.created_at,
        row.started_at,
        row.finished_at,
    )


def _live_counts(session: Session, ids: list[int]) -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = {}
    if not ids:
        return found
    for message_id, status, number in session.execute(
        select(MailSend.message_id, MailSend.status, func.count())
        .where(MailSend.message_id.in_(ids))
        .group_by(MailSend.message_id, MailSend.status)
    ):
        found.setdefault(message_id, {})[status] = number
    return found


def kept_counts(row: Broadcast) -> dict[str, int]:
    """A broadcast's kept counts as a card shows them: sent, failed, bounced, skipped and
    waiting (queued, claimed or deferred: the recipients less the others); zeros left out."""
    done = {
        "sent": row.sent_count,
        "failed": row.failed_count,
        "bounced": row.bounced_count,
        "skipped": row.skipped_count,
    }
    found = {**done, "waiting": max(row.recipients - sum(done.values()), 0)}
    return {status: number for status, number in found.items() if number}


def broadcasts(session: Session, limit: int = 100, offset: int = 0) -> list[BroadcastCard]:
    """Broadcasts, newest first, with their kept counts."""
    rows = list(
        session.scalars(
            select(Broadcast)
            .where(Broadcast.kind == "broadcast")
            .order_by(Broadcast.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    return [_card(row, kept_counts(row)) for row in rows]


def broadcast_card(session: Session, broadcast_id: int) -> BroadcastCard | None:
    """One broadcast, or None."""
    row = session.get(Broadcast, broadcast_id)
    if row is None or row.kind != "broadcast":
        return None
    return _card(row, kept_counts(row))


def stats(session: Session, broadcast_id: int) -> Stats:
    """The broadcast's numbers: its kept counts, opens counted now from the send log, and its
    links' clicks."""
    row = session.get(Broadcast, broadcast_id)
    counts = kept_counts(row) if row is not None else {}
    flags = session.execute(
        select(
            func.count(MailSend.opened_at),
            func.count(MailSend.proxy_opened_at),
            func.count().filter(MailSend.maybe_delivered.is_(True)),
        ).where(MailSend.message_id == broadcast_id)
    ).one()
    link_ids = list(
        session.scalars(select(MailLink.link_id).where(MailLink.message_id == broadcast_id))
    )
    clicked = sum(c.human for c in links_queries.counts_by_link(session, link_ids).values())
    return Stats(
        recipients=sum(counts.values()),
        sent=counts.get("sent", 0),
        failed=counts.get("failed", 0),
        bounced=counts.get("bounced", 0),
        skipped=counts.get("skipped", 0),
        waiting=counts.get("waiting", 0),
        opened=flags[0],
        opened_proxy=flags[1],
        clicked=clicked,
        complaints=row.complaint_count if row is not None else 0,
        maybe_delivered=flags[2],
    )


def opens_of(
    session: Session, subscriber_id: int, message_ids: list[int]
) -> list[tuple[int, bool]]:
    """Which of these messages the person opened: (message id, opened by Apple's proxy only)."""
    if not message_ids:
        return []
    rows = session.execute(
        select(MailSend.message_id, MailSend.opened_at).where(
            MailSend.subscriber_id == subscriber_id,
            MailSend.message_id.in_(message_ids),
            (MailSend.opened_at.is_not(None)) | (MailSend.proxy_opened_at.is_not(None)),
        )
    )
    return [(message_id, opened is None) for message_id, opened in rows]


@dataclass(frozen=True)
class StepMessage:
    """A sequence message's text, as its sequence's pages show and edit it."""

    id: int
    subject: str
    body: str
    format: str


def step_messages(session: Session, message_ids: list[int]) -> dict[int, StepMessage]:
    """The text of these sequence messages, by id."""
    if not message_ids:
        return {}
    rows = session.execute(
        select(Broadcast.id, Broadcast.subject, Broadcast.body, Broadcast.format).where(
            Broadcast.id.in_(message_ids), Broadcast.kind == "sequence"
        )
    )
    return {r.id: StepMessage(r.id, r.subject, r.body, r.format) for r in rows}


def message_numbers(session: Session, message_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per message: its send rows by status, and `clicked` (human clicks on its links)."""
    found = _live_counts(session, message_ids)
    if not message_ids:
        return found
    links: dict[int, list[int]] = {}
    for message_id, link_id in session.execute(
        select(MailLink.message_id, MailLink.link_id).where(MailLink.message_id.in_(message_ids))
    ):
        links.setdefault(message_id, []).append(link_id)
    clicks = links_queries.counts_by_link(session, [i for ids in links.values() for i in ids])
    for message_id, ids in links.items():
        found.setdefault(message_id, {})["clicked"] = sum(
            clicks[i].human for i in ids if i in clicks
        )
    return found
