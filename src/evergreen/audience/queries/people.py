"""People as pages and other areas see them: a card by address or id, their lists and
tags, a page of a search, addresses by id."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from evergreen.audience.errors import AudienceInputError
from evergreen.audience.models import (
    AudienceList,
    Membership,
    Subscriber,
    SubscriberTag,
)
from evergreen.audience.rules import (
    LIKE_ESCAPE,
    Status,
    check_email,
    contains_patterns,
    overall_status,
)


@dataclass(frozen=True)
class SubscriberCard:
    """A person at a glance."""

    id: int
    email: str
    name: str
    status: str
    suppressed: str | None
    lists: dict[str, str]
    fields: dict[str, Any]
    tags: list[str]
    time_zone: str | None
    created_at: datetime


@dataclass(frozen=True)
class SearchPage:
    """One page of a subscriber search."""

    rows: list[SubscriberCard]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the search has."""
        return max(1, -(-self.total // self.per_page))


def tags_of(session: Session, subscriber_id: int) -> list[str]:
    """A person's tags, sorted."""
    return list(
        session.scalars(
            select(SubscriberTag.tag)
            .where(SubscriberTag.subscriber_id == subscriber_id)
            .order_by(SubscriberTag.tag)
        )
    )


def lists_of(session: Session, subscriber_id: int) -> dict[str, str]:
    """A person's lists by name → their status there."""
    rows = session.execute(
        select(AudienceList.name, Membership.status)
        .join(AudienceList, AudienceList.id == Membership.list_id)
        .where(Membership.subscriber_id == subscriber_id)
        .order_by(AudienceList.name)
    )
    return {name: status for name, status in rows}  # noqa: C416 (a Result is not a mapping)


def _card(session: Session, person: Subscriber) -> SubscriberCard:
    lists = lists_of(session, person.id)
    return SubscriberCard(
        id=person.id,
        email=person.email,
        name=person.name,
        status=overall_status(lists.values(), person.suppressed).value,
        suppressed=person.suppressed,
        lists=lists,
        fields=dict(person.fields or {}),
        tags=tags_of(session, person.id),
        time_zone=person.time_zone,
        created_at=person.created_at,
    )


def find_by_email(session: Session, email: str) -> SubscriberCard | None:
    """The person with this address (any spelling of it), or None."""
    key = check_email(email).key
    person = session.scalar(select(Subscriber).where(Subscriber.email_key == key))
    return _card(session, person) if person is not None else None


def card(session: Session, subscriber_id: int) -> SubscriberCard | None:
    """The person with this id, or None."""
    person = session.get(Subscriber, subscriber_id)
    return _card(session, person) if person is not None else None


def show(card: SubscriberCard) -> dict[str, Any]:
    """The CLI's and API's short form: email, status, lists by name, fields."""
    return {"email": card.email, "status": card.status, "lists": card.lists, "fields": card.fields}


def search(
    session: Session,
    *,
    text: str = "",
    list_id: int | None = None,
    status: str = "",
    tag: str = "",
    page: int = 1,
    per_page: int = 50,
) -> SearchPage:
    """Subscribers whose address or name contains the text, on a list, in a status (on that
    list, or any list without one), with a tag; newest first. An unknown status is refused, and
    so is a NUL, which PostgreSQL cannot compare."""
    if status and status not in set(Status):
        raise AudienceInputError("status", f"must be one of {', '.join(Status)}")
    for name, given in (("q", text), ("tag", tag)):
        if "\x00" in given:
            raise AudienceInputError(name, "must not contain a NUL character")
    query = select(Subscriber)
    if text.strip():
        # Names: ASCII letters in any case, others as typed (SQLite's lower() folds only
        # ASCII); where the database's lower() folds all letters, those in any case too.
        ascii_lowered, lowered = contains_patterns(text.strip())
        lower_name = func.lower(Subscriber.name)
        query = query.where(
            or_(
                Subscriber.email_key.like(lowered, escape=LIKE_ESCAPE),
                lower_name.like(ascii_lowered, escape=LIKE_ESCAPE),
                lower_name.like(lowered, escape=LIKE_ESCAPE),
            )
        )
    if list_id is not None or status:
        conditions = [Membership.subscriber_id == Subscriber.id]
        if list_id is not None:
            conditions.append(Membership.list_id == list_id)
        if status in (Status.BOUNCED, Status.COMPLAINED):
            query = query.where(
                or_(
                    Subscriber.suppressed == status,
                    exists().where(*conditions, Membership.status == status),
                )
            )
        else:
            if status:
                conditions.append(Membership.status == status)
            query = query.where(exists().where(*conditions))
    if tag.strip():
        query = query.where(
            exists().where(
                SubscriberTag.subscriber_id == Subscriber.id,
                SubscriberTag.tag == tag.strip().casefold(),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    people = session.scalars(
        query.order_by(Subscriber.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return SearchPage([_card(session, person) for person in people], total, page, per_page)


def emails_of(session: Session, ids: list[int]) -> dict[int, str]:
    """The address of each of these people, by id (the erased are absent)."""
    found: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Subscriber.id, Subscriber.email).where(
                Subscriber.id.in_(ids[start : start + 500])
            )
        )
        found.update({r.id: r.email for r in rows})
    return found
