"""Tables of the sequences area: sequences, the mail message of each Send step, enrolments,
API events, and the Notify/Webhook actions of enrolments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, utcnow

__all__ = ["Enrolment", "Sequence", "SequenceAction", "SequenceEvent", "SequenceMessage"]


class Sequence(Base):
    """An autoresponder: its trigger and step program (rules.stored forms), the list it sends
    from, and whether it runs (draft, active, paused); `enrolled_through`: how far the trigger
    scan has looked."""

    __tablename__ = "sequences"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    list_id: Mapped[int | None] = mapped_column(
        ForeignKey("audience_lists.id", ondelete="SET NULL"), default=None
    )
    trigger: Mapped[dict[str, Any]] = mapped_column(JSON)
    program: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    activated_at: Mapped[datetime | None] = mapped_column(default=None)
    enrolled_through: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SequenceMessage(Base):
    """The mail message (kind `sequence`) a Send step's message reference stands for."""

    __tablename__ = "sequence_messages"
    __table_args__ = (UniqueConstraint("sequence_id", "ref", name="uq_sequence_messages_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequences.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(200))
    message_id: Mapped[int] = mapped_column(ForeignKey("mail_messages.id", ondelete="CASCADE"))


class Enrolment(Base):
    """One person in one sequence: where they stand (rules.advance.Position, stored), when it
    is next due, and who holds the claim while a scheduler works on it."""

    __tablename__ = "sequence_enrolments"
    __table_args__ = (
        UniqueConstraint("sequence_id", "subscriber_id", name="uq_sequence_enrolments_person"),
        Index("ix_sequence_enrolments_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequences.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    position: Mapped[dict[str, Any]] = mapped_column(JSON)
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active, finished, exited
    exit_reason: Mapped[str] = mapped_column(String(200), default="")
    steps_done: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str] = mapped_column(String(80), default="")
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SequenceEvent(Base):
    """A named event about a subscriber posted through the API or the CLI (`at`: when it
    happened; `created_at`: when it was stored, which the trigger scan reads); one per key."""

    __tablename__ = "sequence_events"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_sequence_events_key"),
        Index("ix_sequence_events_created", "created_at"),
        Index("ix_sequence_events_subscriber", "subscriber_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]
    idempotency_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SequenceAction(Base):
    """One Notify or Webhook step of one enrolment run, performed once (its `key` is unique):
    pending until due, claimed while performed (a lease), then done or failed after retries."""

    __tablename__ = "sequence_actions"
    __table_args__ = (
        UniqueConstraint("key", name="uq_sequence_actions_key"),
        Index("ix_sequence_actions_due", "status", "next_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("sequence_enrolments.id", ondelete="CASCADE")
    )
    step_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))  # notify, webhook
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # claimed, done, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
