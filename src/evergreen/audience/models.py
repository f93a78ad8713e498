"""Tables of the audience: lists, subscribers, memberships, tags, consent and activity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, utcnow

__all__ = [
    "MEMBER_TABLES",
    "Activity",
    "AudienceList",
    "ConsentEvent",
    "ErasedAddress",
    "Form",
    "FormAttempt",
    "Membership",
    "Segment",
    "Subscriber",
    "SubscriberTag",
]

# JSON on SQLite, JSONB on PostgreSQL (indexable, compared by value).
FieldsJSON = JSON().with_variant(JSONB(), "postgresql")


class AudienceList(Base):
    """A mailing list people join; double opt-in decides whether joining needs a confirmation."""

    __tablename__ = "audience_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    double_opt_in: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Subscriber(Base):
    """One person, once: `email_key` (the address lower-cased) is what makes two rows one."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    fields: Mapped[dict[str, Any]] = mapped_column(FieldsJSON, default=dict)
    time_zone: Mapped[str | None] = mapped_column(String(64), default=None)
    # form, import, api, partner, webinar, purchase, manual
    source: Mapped[str] = mapped_column(String(20), default="manual")
    # None, or why nothing may be sent to this address at all: bounced, complained
    suppressed: Mapped[str | None] = mapped_column(String(20), default=None)
    soft_bounces: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Membership(Base):
    """A subscriber on a list, with that list's status: unconfirmed, subscribed, unsubscribed,
    bounced or complained."""

    __tablename__ = "list_members"
    # (list_id, status, subscriber_id) is indexed at the end of this file, for segments.

    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )
    list_id: Mapped[int] = mapped_column(
        ForeignKey("audience_lists.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


MEMBER_TABLES = (Subscriber.__tablename__, Membership.__tablename__)
"""Who is on which list: what an import fills and a sender reads each batch's recipients from
(a bulk write of them refreshes PostgreSQL's statistics, `db.analyze`)."""


class SubscriberTag(Base):
    """A tag on a subscriber (buyer, webinar-attended, …), matched case-insensitively."""

    __tablename__ = "subscriber_tags"
    __table_args__ = (Index("ix_subscriber_tags_tag", "tag"),)

    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsentEvent(Base):
    """One opt-in, confirmation, opt-out or suppression, with the exact words the person saw.

    Never edited or deleted except by erasing the subscriber; the IP is kept only as a keyed hash.
    """

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_subscriber", "subscriber_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    list_id: Mapped[int | None] = mapped_column(
        ForeignKey("audience_lists.id", ondelete="SET NULL"), default=None
    )
    # opt_in, confirm, opt_out, suppress
    action: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(20))
    form: Mapped[str] = mapped_column(String(200), default="")
    wording: Mapped[str] = mapped_column(Text, default="")
    ip_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    detail: Mapped[str] = mapped_column(String(500), default="")


class Activity(Base):
    """Something a subscriber did or was sent (sent, opened, opened_proxy, clicked, bounced,
    complained, purchased, registered, attended), written by any area through the audience
    service so segments and the subscriber's history read one table."""

    __tablename__ = "subscriber_activity"
    __table_args__ = (
        Index("ix_subscriber_activity_subscriber", "subscriber_id", "kind", "at"),
        # The sequences' tick asks for recent clicks and purchases of anyone (migration 0034).
        Index("ix_subscriber_activity_kind_at", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    ref: Mapped[str] = mapped_column(String(200), default="")


class ErasedAddress(Base):
    """An erased person's address, kept only as a keyed hash of its email_key, so that a later
    import or API call cannot bring them back unless they sign up again themselves."""

    __tablename__ = "audience_erased"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Segment(Base):
    """A saved dynamic segment: its query, kept in canonical form, counted live when read."""

    __tablename__ = "audience_segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# Segments' lookups, answered from the index alone (no visit to the table for the subscriber):
# the members of a list in a status, a subscriber's statuses over all lists (`status:…`, a probe
# per subscriber), and who did what since when.
Index(
    "ix_list_members_segment",
    Membership.list_id,
    Membership.status,
    Membership.subscriber_id,
)
Index("ix_list_members_subscriber_status", Membership.subscriber_id, Membership.status)
Index(
    "ix_subscriber_activity_segment",
    Activity.kind,
    Activity.at,
    Activity.subscriber_id,
)


class Form(Base):
    """A public sign-up form: the lists it joins, the exact consent wording shown (recorded with
    every opt-in it makes), what it asks, and what it says afterwards."""

    __tablename__ = "audience_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # The lists joined, by id; a list deleted later is skipped (see service.forms).
    list_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    heading: Mapped[str] = mapped_column(String(200), default="")
    intro: Mapped[str] = mapped_column(Text, default="")
    wording: Mapped[str] = mapped_column(Text)
    ask_name: Mapped[bool] = mapped_column(default=True)
    # Custom fields asked, by subscriber field name (shown with the name as its label).
    field_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    button: Mapped[str] = mapped_column(String(60), default="Subscribe")
    thank_you: Mapped[str] = mapped_column(Text, default="")
    redirect_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    # Web origins whose pages may post to the JSON endpoint (one per line); empty: any.
    allowed_origins: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    submissions: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FormAttempt(Base):
    """One public form post, by a keyed hash of the client address, for the per-client rate
    limit (rows older than the window are pruned as new ones arrive)."""

    __tablename__ = "audience_form_attempts"
    __table_args__ = (Index("ix_audience_form_attempts_client_at", "client_hash", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
