"""What pages and other areas read of the audience: people by address, a list's subscribed
members streamed in id order, a person's lists and history, list counts, searches, saved
segments with their members (a broadcast walks them in id order, a chunk at a time, resuming
after the last), and what a confirmation link stands for."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from evergreen.audience.errors import AudienceInputError
from evergreen.audience.models import (
    MEMBER_TABLES,
    Activity,
    AudienceList,
    ConsentEvent,
    Membership,
    Segment,
    Subscriber,
    SubscriberTag,
)
from evergreen.audience.rules import (
    LIKE_ESCAPE,
    Status,
    check_email,
    contains_patterns,
    overall_status,
    read_confirm_token,
)
from evergreen.audience.service import segments as _segments
from evergreen.db import utcnow

__all__ = [
    "MEMBER_TABLES",
    "ActivityLine",
    "ConsentLine",
    "ExportRow",
    "History",
    "ListCounts",
    "Member",
    "MembershipLine",
    "PendingConfirmation",
    "SearchPage",
    "SegmentInfo",
    "SubscriberCard",
    "activity_between",
    "card",
    "confirmation",
    "count_subscribed",
    "emails_of",
    "export_batches",
    "find_by_email",
    "find_segment",
    "history",
    "joined_between",
    "list_choices",
    "list_counts",
    "lists_of",
    "members",
    "opt_outs_by_message",
    "recipients",
    "search",
    "segment_condition",
    "segment_member_ids",
    "segments",
    "show",
    "subscribed_ids",
    "tagged_between",
    "tags_of",
]


@dataclass(frozen=True)
class Member:
    """What a sender needs of a subscribed member."""

    id: int
    email: str
    name: str
    fields: dict[str, Any]
    time_zone: str | None


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
class ExportRow:
    """One exported row in Evergreen's format."""

    email: str
    name: str
    status: str
    time_zone: str | None
    tags: list[str]
    fields: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class ListCounts:
    """A list and how many of its people are in each status."""

    id: int
    name: str
    description: str
    double_opt_in: bool
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Everyone on the list, whatever their status."""
        return sum(self.counts.values())


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


def members(
    session: Session, list_id: int, status: str = Status.SUBSCRIBED, *, chunk: int = 1000
) -> Iterator[list[Member]]:
    """A list's members in one status (subscribed by default, never a suppressed address),
    in id order, a chunk at a time, so a million members never sit in memory at once."""
    after = 0
    while True:
        rows = session.execute(
            select(
                Subscriber.id,
                Subscriber.email,
                Subscriber.name,
                Subscriber.fields,
                Subscriber.time_zone,
            )
            .join(Membership, Membership.subscriber_id == Subscriber.id)
            .where(
                Membership.list_id == list_id,
                Membership.status == status,
                Subscriber.suppressed.is_(None),
                Subscriber.id > after,
            )
            .order_by(Subscriber.id)
            .limit(chunk)
        ).all()
        if not rows:
            return
        yield [Member(r.id, r.email, r.name, dict(r.fields or {}), r.time_zone) for r in rows]
        after = rows[-1].id


def subscribed_ids(
    list_id: int, after: int = 0, *, within: ColumnElement[bool] | None = None
) -> Select[int]:
    """A statement selecting the ids of a list's subscribed, unsuppressed members past `after`,
    in id order, only those `within` a segment's condition when given: the mail area queues a
    broadcast with it as INSERT … SELECT."""
    query = (
        select(Subscriber.id)
        .join(Membership, Membership.subscriber_id == Subscriber.id)
        .where(
            Membership.list_id == list_id,
            Membership.status == Status.SUBSCRIBED,
            Subscriber.suppressed.is_(None),
            Subscriber.id > after,
        )
        .order_by(Subscriber.id)
    )
    return query if within is None else query.where(within)


def segment_condition(
    session: Session, segment_id: int, *, now: datetime | None = None
) -> ColumnElement[bool]:
    """A saved segment's query as a condition on subscribers, evaluated as of `now` (NotFound
    when there is no such segment; a list deleted since it was saved selects nobody)."""
    query = _segments.get_segment(session, segment_id).query
    return _segments.condition(session, query, now=now or utcnow(), strict=False)


def count_subscribed(
    session: Session, list_id: int, *, segment_id: int | None = None, now: datetime | None = None
) -> int:
    """How many of a list's subscribed, unsuppressed members there are now, in the segment when
    given: the people a broadcast would be queued for."""
    within = None if segment_id is None else segment_condition(session, segment_id, now=now)
    ids = subscribed_ids(list_id, within=within).order_by(None).subquery()
    return int(session.scalar(select(func.count()).select_from(ids)) or 0)


def recipients(session: Session, list_id: int, ids: list[int]) -> dict[int, Member]:
    """Of these people, those still subscribed to the list and not suppressed, by id (a sender
    checks again just before sending: someone may have left since the broadcast was queued)."""
    found: dict[int, Member] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(
                Subscriber.id,
                Subscriber.email,
                Subscriber.name,
                Subscriber.fields,
                Subscriber.time_zone,
            )
            .join(Membership, Membership.subscriber_id == Subscriber.id)
            .where(
                Membership.list_id == list_id,
                Membership.status == Status.SUBSCRIBED,
                Subscriber.suppressed.is_(None),
                Subscriber.id.in_(ids[start : start + 500]),
            )
        )
        for r in rows:
            found[r.id] = Member(r.id, r.email, r.name, dict(r.fields or {}), r.time_zone)
    return found


def export_batches(
    session: Session, list_id: int | None, *, chunk: int = 1000
) -> Iterator[list[ExportRow]]:
    """Everyone on a list (with their status there), or everyone (overall status), in id order."""
    after = 0
    while True:
        query = select(Subscriber).where(Subscriber.id > after).order_by(Subscriber.id).limit(chunk)
        if list_id is not None:
            query = query.add_columns(Membership.status).join(
                Membership,
                and_(Membership.subscriber_id == Subscriber.id, Membership.list_id == list_id),
            )
        else:
            query = query.add_columns(Subscriber.suppressed)
        rows: list[Any] = list(session.execute(query).all())
        if not rows:
            return
        ids = [row[0].id for row in rows]
        tags: dict[int, list[str]] = {}
        for subscriber_id, tag in session.execute(
            select(SubscriberTag.subscriber_id, SubscriberTag.tag)
            .where(SubscriberTag.subscriber_id.in_(ids))
            .order_by(SubscriberTag.tag)
        ):
            tags.setdefault(subscriber_id, []).append(tag)
        statuses: dict[int, list[str]] = {}
        if list_id is None:
            for subscriber_id, status in session.execute(
                select(Membership.subscriber_id, Membership.status).where(
                    Membership.subscriber_id.in_(ids)
                )
            ):
                statuses.setdefault(subscriber_id, []).append(status)
        batch = []
        for row in rows:
            person, extra = row[0], row[1]
            status = (
                extra
                if list_id is not None
                else overall_status(statuses.get(person.id, []), person.suppressed).value
            )
            if person.suppressed and list_id is not None:
                status = person.suppressed
            batch.append(
                ExportRow(
                    person.email,
                    person.name,
                    status,
                    person.time_zone,
                    tags.get(person.id, []),
                    dict(person.fields or {}),
                    person.created_at,
                )
            )
        yield batch
        after = ids[-1]


def list_choices(session: Session) -> list[tuple[int, str]]:
    """Every list's id and name, by name: for other areas' pickers (no counting)."""
    rows = session.execute(select(AudienceList.id, AudienceList.name).order_by(AudienceList.name))
    return [(int(list_id), str(name)) for list_id, name in rows]


def list_counts(session: Session) -> list[ListCounts]:
    """Every list with its counts per status."""
    counts: dict[int, dict[str, int]] = {}
    for list_id, status, number in session.execute(
        select(Membership.list_id, Membership.status, func.count()).group_by(
            Membership.list_id, Membership.status
        )
    ):
        counts.setdefault(list_id, {})[status] = number
    return [
        ListCounts(row.id, row.name, row.description, row.double_opt_in, counts.get(row.id, {}))
        for row in session.scalars(select(AudienceList).order_by(AudienceList.name))
    ]


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


@dataclass(frozen=True)
class SegmentInfo:
    """A saved segment as plain values."""

    id: int
    name: str
    query: str


def segments(session: Session) -> list[SegmentInfo]:
    """Every saved segment, by name (for a broadcast's choice of audience)."""
    return [SegmentInfo(s.id, s.name, s.query) for s in _segments.segments(session)]


def find_segment(session: Session, ref: int | str) -> SegmentInfo | None:
    """The saved segment with this id (a number) or exactly this name, or None."""
    if isinstance(ref, int):
        row = session.get(Segment, ref)
    else:
        row = session.scalar(select(Segment).where(Segment.name == ref.strip()))
    return SegmentInfo(row.id, row.name, row.query) if row is not None else None


def segment_member_ids(
    session: Session, segment_id: int, *, after_id: int = 0, chunk: int = _segments.CHUNK
) -> Iterator[list[int]]:
    """A segment's subscriber ids in id order, `chunk` at a time, after `after_id`."""
    return _segments.segment_member_ids(session, segment_id, after_id=after_id, chunk=chunk)


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


def joined_between(session: Session, list_id: int, since: datetime, until: datetime) -> list[int]:
    """Ids of the list's subscribed, unsuppressed members whose membership last changed (to
    subscribed) in [since, until]: the people a "joined a list" trigger enrols."""
    return list(
        session.scalars(
            select(Subscriber.id)
            .join(Membership, Membership.subscriber_id == Subscriber.id)
            .where(
                Membership.list_id == list_id,
                Membership.status == Status.SUBSCRIBED,
                Membership.updated_at >= since,
                Membership.updated_at <= until,
                Subscriber.suppressed.is_(None),
            )
            .order_by(Subscriber.id)
        )
    )


def tagged_between(session: Session, tag: str, since: datetime, until: datetime) -> list[int]:
    """Ids of people given this tag (case-folded, as stored) in [since, until]."""
    return list(
        session.scalars(
            select(SubscriberTag.subscriber_id)
            .where(
                SubscriberTag.tag == tag.strip().casefold(),
                SubscriberTag.created_at >= since,
                SubscriberTag.created_at <= until,
            )
            .order_by(SubscriberTag.subscriber_id)
        )
    )


def opt_outs_by_message(session: Session, message_ids: list[int]) -> dict[int, int]:
    """How many people left a list through the unsubscribe link of each of these messages."""
    found: dict[int, int] = {}
    for message_id in message_ids:
        detail = f"broadcast {message_id}"
        number = session.scalar(
            select(func.count(func.distinct(ConsentEvent.subscriber_id))).where(
                ConsentEvent.action == "opt_out",
                or_(ConsentEvent.detail == detail, ConsentEvent.detail.like(f"{detail};%")),
            )
        )
        found[message_id] = int(number or 0)
    return found


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


def activity_between(
    session: Session,
    kinds: Collection[str],
    since: datetime,
    until: datetime,
    *,
    subscriber_ids: Collection[int] | None = None,
) -> list[tuple[int, str, str, datetime]]:
    """(subscriber id, kind, ref, at) of activity of these kinds (clicked, purchased, …) at
    [since, until], oldest first, only these people's when given (the sequences' triggers and
    facts)."""
    query = (
        select(Activity.subscriber_id, Activity.kind, Activity.ref, Activity.at)
        .where(Activity.kind.in_(list(kinds)), Activity.at >= since, Activity.at <= until)
        .order_by(Activity.at, Activity.id)
    )
    if subscriber_ids is not None:
        query = query.where(Activity.subscriber_id.in_(list(subscriber_ids)))
    return [(row[0], row[1], row[2], row[3]) for row in session.execute(query)]
