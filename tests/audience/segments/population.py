"""Subscribers written straight through the audience's tables, for the segment tests."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.orm import Session

from evergreen.audience.models import (
    Activity,
    AudienceList,
    ConsentEvent,
    Membership,
    Subscriber,
    SubscriberTag,
)
from evergreen.audience.rules.segments import SubscriberFacts


def clear(session: Session) -> None:
    """Empty the audience's tables (lists included)."""
    for table in (Activity, ConsentEvent, SubscriberTag, Membership, Subscriber, AudienceList):
        session.execute(delete(table))


def make_lists(session: Session, names: Sequence[str]) -> dict[str, int]:
    """Lists by name."""
    rows = [AudienceList(name=name) for name in names]
    session.add_all(rows)
    session.flush()
    return {row.name: row.id for row in rows}


def add_people(
    session: Session, people: Sequence[SubscriberFacts], lists: dict[str, int]
) -> list[int]:
    """One subscriber per facts, in order; their ids."""
    ids = []
    for number, facts in enumerate(people):
        row = Subscriber(
            email=f"person{number}@example.com",
            email_key=f"person{number}@example.com",
            fields=dict(facts.fields),
            source=facts.source,
            suppressed=facts.suppressed,
            created_at=facts.created_at,
        )
        session.add(row)
        session.flush()
        ids.append(row.id)
        session.add_all(SubscriberTag(subscriber_id=row.id, tag=tag) for tag in facts.tags)
        session.add_all(
            Membership(subscriber_id=row.id, list_id=lists[name], status=status)
            for name, status in facts.lists.items()
        )
        session.add_all(
            Activity(subscriber_id=row.id, kind=kind, at=at) for kind, at in facts.activity
        )
        session.add_all(
            ConsentEvent(subscriber_id=row.id, action=action, at=at, source="form")
            for action, at in facts.consent
        )
    session.flush()
    return ids
