"""A person's record for their page (lists, consent ledger, activity) and what a
confirmation link stands for."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.audience.errors import AudienceInputError
from evergreen.audience.models import (
    Activity,
    AudienceList,
    ConsentEvent,
    Membership,
    Subscriber,
)
from evergreen.audience.rules import (
    read_confirm_token,
)
from evergreen.db import utcnow


@dataclass(frozen=True)
class MembershipLine:
    """A person on one list: the status there, since when, and when it last changed."""

    list_id: int
    list_name: str
    status: str
    joined_at: datetime
    changed_at: datetime


@dataclass(frozen=True)
class ConsentLine:
    """One entry of the consent ledger as a page shows it: what happened, where, in which words."""

    at: datetime
    action: str
    list_name: str | None
    source: str
    form: str
    wording: str
    detail: str
    ip_hashed: bool


@dataclass(frozen=True)
class ActivityLine:
    """One thing a person did or was sent."""

    at: datetime
    kind: str
    ref: str


@dataclass(frozen=True)
class History:
    """A person's whole record for their page: lists, consent ledger (oldest first) and the
    latest activity (newest first), each with how many there are in all."""

    source: str
    memberships: list[MembershipLine]
    consent: list[ConsentLine]
    consent_total: int
    activity: list[ActivityLine]
    activity_total: int


def history(session: Session, subscriber_id: int, *, limit: int = 500) -> History | None:
    """The person's lists, consent ledger and activity (at most `limit` of each), or None."""
    person = session.get(Subscriber, subscriber_id)
    if person is None:
        return None
    memberships = [
        MembershipLine(row.id, row.name, row.status, row.created_at, row.updated_at)
        for row in session.execute(
            select(
                AudienceList.id,
                AudienceList.name,
                Membership.status,
                Membership.created_at,
                Membership.updated_at,
            )
            .join(AudienceList, AudienceList.id == Membership.list_id)
            .where(Membership.subscriber_id == subscriber_id)
            .order_by(AudienceList.name)
        )
    ]
    consent_rows = session.execute(
        select(ConsentEvent, AudienceList.name)
        .outerjoin(AudienceList, AudienceList.id == ConsentEvent.list_id)
        .where(ConsentEvent.subscriber_id == subscriber_id)
        .order_by(ConsentEvent.at, ConsentEvent.id)
        .limit(limit)
    ).all()
    consent = [
        ConsentLine(
            event.at,
            event.action,
            name,
            event.source,
            event.form,
            event.wording,
            event.detail,
            event.ip_hash is not None,
        )
        for event, name in consent_rows
    ]
    activity = [
        ActivityLine(row.at, row.kind, row.ref)
        for row in session.scalars(
            select(Activity)
            .where(Activity.subscriber_id == subscriber_id)
            .order_by(Activity.at.desc(), Activity.id.desc())
            .limit(limit)
        )
    ]

    def count(model: type[ConsentEvent] | type[Activity]) -> int:
        return (
            session.scalar(
                select(func.count()).select_from(model).where(model.subscriber_id == subscriber_id)
            )
            or 0
        )

    return History(
        person.source, memberships, consent, count(ConsentEvent), activity, count(Activity)
    )


@dataclass(frozen=True)
class PendingConfirmation:
    """What a confirmation link stands for: the list, the address and its status there now."""

    list_name: str
    email: str
    status: str | None


def confirmation(session: Session, secret: str, token: str) -> PendingConfirmation:
    """Read a confirmation link without confirming it (for the page its button is on)."""
    found = read_confirm_token(secret, token, utcnow())
    person = session.get(Subscriber, found.subscriber_id)
    audience_list = session.get(AudienceList, found.list_id)
    if person is None or audience_list is None:
        raise AudienceInputError("token", "this confirmation link no longer matches a subscriber")
    status = session.scalar(
        select(Membership.status).where(
            Membership.subscriber_id == person.id, Membership.list_id == audience_list.id
        )
    )
    return PendingConfirmation(audience_list.name, person.email, status)
