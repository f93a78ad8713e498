"""A list's members as senders and exports read them: subscribed people streamed in id
order, a broadcast's audience as a statement or a count, a recipient checked again just
before sending, every list with its counts."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from evergreen.audience.models import (
    AudienceList,
    Membership,
    Subscriber,
    SubscriberTag,
)
from evergreen.audience.rules import (
    Status,
    overall_status,
)
from evergreen.audience.service import segments as _segments
from evergreen.db import utcnow


@dataclass(frozen=True)
class Member:
    """What a sender needs of a subscribed member."""

    id: int
    email: str
    name: str
    fields: dict[str, Any]
    time_zone: str | None


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


def _in_status(list_id: int, status: str) -> Select[Any]:
    """What a sender needs of a list's members in one status, never a suppressed address."""
    return (
        select(
            Subscriber.id, Subscriber.email, Subscriber.name, Subscriber.fields,
            Subscriber.time_zone,
        )
        .join(Membership, Membership.subscriber_id == Subscriber.id)
        .where(
            Membership.list_id == list_id,
            Membership.status == status,
            Subscriber.suppressed.is_(None),
        )
    )  # fmt: skip


def _member(row: Any) -> Member:
    return Member(row.id, row.email, row.name, dict(row.fields or {}), row.time_zone)


def members(
    session: Session, list_id: int, status: str = Status.SUBSCRIBED, *, chunk: int = 1000
) -> Iterator[list[Member]]:
    """A list's members in one status (subscribed by default, never a suppressed address),
    in id order, a chunk at a time, so a million members never sit in memory at once."""
    after = 0
    while True:
        rows = session.execute(
            _in_status(list_id, status)
            .where(Subscriber.id > after)
            .order_by(Subscriber.id)
            .limit(chunk)
        ).all()
        if not rows:
            return
        yield [_member(row) for row in rows]
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
        chunk = ids[start : start + 500]
        rows = session.execute(
            _in_status(list_id, Status.SUBSCRIBED).where(Subscriber.id.in_(chunk))
        )
        found.update((row.id, _member(row)) for row in rows)
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
