"""Tables of the mail area: broadcasts, the send log (one row per message and person), the
tracking link made for each destination of a broadcast, and the bounces read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, utcnow

__all__ = [
    "OPEN_ROW",
    "Broadcast",
    "MailBounce",
    "MailClickMark",
    "MailHookEvent",
    "MailLink",
    "MailSend",
]

# SQLite only auto-increments INTEGER primary keys; PostgreSQL gets a 64-bit column.
BigId = BigInteger().with_variant(Integer(), "sqlite")


_OPEN_SQL = "status IN ('queued', 'deferred', 'claimed')"
# The partial index's own condition, written out (not bound), so both planners see that a query
# with it may use the index (SQLite matches the terms, PostgreSQL proves it even in a generic plan).
OPEN_ROW = literal_column("mail_sends.status").in_(
    [literal_column(f"'{status}'") for status in ("queued", "deferred", "claimed")]
)


class Broadcast(Base):
    """One message to a list, narrowed by an optional saved segment: its text, its state and
    when it goes. `segment` keeps the segment's name as chosen, so a broadcast whose segment was
    deleted (`segment_id` set to NULL) is refused rather than sent to the whole list."""

    __tablename__ = "mail_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # broadcast; sequence (one step of an autoresponder: always `sending`, never finished)
    kind: Mapped[str] = mapped_column(String(10), default="broadcast", server_default="broadcast")
    subject: Mapped[str] = mapped_column(String(998))
    body: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(10), default="markdown")  # markdown, html
    list_id: Mapped[int | None] = mapped_column(
        ForeignKey("audience_lists.id", ondelete="SET NULL"), default=None
    )
    segment: Mapped[str] = mapped_column(String(2000), default="")
    segment_id: Mapped[int | None] = mapped_column(
        ForeignKey("audience_segments.id", ondelete="SET NULL"), default=None
    )
    # draft, scheduled, sending, paused, cancelled, finished
    status: Mapped[str] = mapped_column(String(12), default="draft")
    scheduled_at: Mapped[datetime | None] = mapped_column(default=None)
    queued: Mapped[bool] = mapped_column(default=False)  # every recipient has a send row
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # at the last change
    # Kept counts of the send log, moved in the transaction that moves its rows (service.tally),
    # so neither the sender nor a page counts a million rows; waiting = recipients - the four.
    sent_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failed_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    bounced_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    skipped_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    complaint_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pause_reason: Mapped[str] = mapped_column(String(300), default="")
    # A sequence step's webinar (its trigger's or its waits'): whose registration
    # `{{ webinar.… }}` prints; "" for the person's latest registration.
    webinar: Mapped[str] = mapped_column(String(100), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class MailSend(Base):
    """The send log: one row per (broadcast, subscriber), claimed before its message goes, so
    nobody gets a broadcast twice; status queued, claimed, sent, failed, skipped, bounced,
    deferred (queued again with a later next_attempt_at)."""

    __tablename__ = "mail_sends"
    __table_args__ = (
        UniqueConstraint("message_id", "subscriber_id", name="uq_mail_sends_message_subscriber"),
        # The claim: due rows of a broadcast, in id order; and counts per status.
        Index("ix_mail_sends_claim", "message_id", "status", "next_attempt_at"),
        Index("ix_mail_sends_subscriber", "subscriber_id"),
        # Rows still to send, in id order per broadcast: the claim steps over no sent row.
        Index(
            "ix_mail_sends_open",
            "message_id",
            "id",
            sqlite_where=text(_OPEN_SQL),
            postgresql_where=text(_OPEN_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("mail_messages.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_by: Mapped[str] = mapped_column(String(80), default="")
    maybe_delivered: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    opened_at: Mapped[datetime | None] = mapped_column(default=None)
    proxy_opened_at: Mapped[datetime | None] = mapped_column(default=None)
    complained_at: Mapped[datetime | None] = mapped_column(default=None)


class MailLink(Base):
    """The tracking link a broadcast uses for one destination (made once, on first use)."""

    __tablename__ = "mail_links"
    __table_args__ = (
        UniqueConstraint("message_id", "destination_key", name="uq_mail_links_destination"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("mail_messages.id", ondelete="CASCADE"))
    destination_key: Mapped[str] = mapped_column(String(64))  # sha256 of the destination
    destination: Mapped[str] = mapped_column(String(2048))
    link_id: Mapped[int] = mapped_column(Integer)
    slug: Mapped[str] = mapped_column(String(64))


class MailBounce(Base):
    """A bounce or complaint as read and applied: counted for soft-bounce suppression and the
    broadcast's bounce and complaint rates."""

    __tablename__ = "mail_bounces"
    __table_args__ = (
        Index("ix_mail_bounces_subscriber", "subscriber_id", "kind", "at"),
        Index("ix_mail_bounces_message", "message_id", "kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    address: Mapped[str] = mapped_column(String(320))
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), default=None
    )
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("mail_messages.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[str] = mapped_column(String(10))  # hard, soft, complaint
    status: Mapped[str] = mapped_column(String(12), default="")
    diagnostic: Mapped[str] = mapped_column(String(500), default="")


class MailHookEvent(Base):
    """A provider's webhook event already applied, by the provider's own id, so a retried or
    replayed delivery changes nothing twice; a Mailgun token is kept the same way, with the
    event it signed (`ref`), so a token cannot sign a second, different event."""

    __tablename__ = "mail_hook_events"
    __table_args__ = (
        UniqueConstraint("provider", "event_id", name="uq_mail_hook_events_provider_event"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(16))  # ses, postmark, sendgrid, mailgun, …
    event_id: Mapped[str] = mapped_column(String(200))
    ref: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailClickMark(Base):
    """How far stored clicks have been folded into subscribers' activity: the last click row
    read, moved in the transaction that records them, so each click is folded once."""

    __tablename__ = "mail_click_marks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    click_row: Mapped[int] = mapped_column(BigInteger, default=0)
