"""What the sequences and mail areas ask of the audience over a window of time: who joined a
list, was tagged or did something, and who left through a message's unsubscribe link."""

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from evergreen.audience.models import (
    Activity,
    ConsentEvent,
    Membership,
    Subscriber,
    SubscriberTag,
)
from evergreen.audience.rules import (
    Status,
)


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
