"""Tables of the sequences area: sequences, the mail message of each Send step, enrolments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, utcnow

__all__ = ["Enrolment", "Sequence", "SequenceMessage"]


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
