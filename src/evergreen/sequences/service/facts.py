"""What the engine knows of one person when it decides a step, read from the areas that hold it.

- tags and fields (audience), opens (mail's send log; Apple's proxy flagged);
- clicked: the refs of their `clicked` activity (a tracking link's slug, as recorded);
- purchased: the refs of their `purchased` activity, and API events named `purchase[:product]`;
- webinars: every webinar they registered for → REGISTERED, raised by the outcomes the webinars
  area reports (attended, left early, missed; see `outcomes`);
- events: each API event's name → its latest instant, `webinar:<name>` → their session start
  of that webinar, and `webinar` → the session of their latest registration, so
  `WaitRelative("webinar", -15 min)` waits until 15 minutes before *their* session.

Only what happened at or before `now` counts, so a simulated tick sees the world as of then.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.audience import queries as audience_queries
from evergreen.mail import queries as mail_queries
from evergreen.sequences.models import SequenceEvent
from evergreen.sequences.rules import Attendance, Facts, Open
from evergreen.sequences.rules.actions import purchase_of
from evergreen.webinars import queries as webinar_queries

__all__ = ["EPOCH", "event_times", "load_facts", "outcomes"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RANK = {
    Attendance.REGISTERED: 0,
    Attendance.MISSED: 1,
    Attendance.LEFT_EARLY: 2,
    Attendance.ATTENDED: 3,
}


def outcomes(
    session: Session, since: datetime, until: datetime, subscriber_ids: Iterable[int] | None = None
) -> list[tuple[int, str, Attendance]]:
    """(subscriber id, webinar name, attended / left early / missed) final in [since, until):
    the webinars area's outcomes (its attendance rules), registrations still open left out."""
    return [
        (o.subscriber_id, o.webinar_name, Attendance(o.status))
        for o in webinar_queries.outcomes_between(
            session, since, until, subscriber_ids=subscriber_ids
        )
        if o.status != "registered"
    ]


def event_times(session: Session, subscriber_id: int, now: datetime) -> dict[str, datetime]:
    """Each API event's name → the latest instant it happened for this person, up to `now`."""
    rows = session.execute(
        select(SequenceEvent.name, func.max(SequenceEvent.at))
        .where(SequenceEvent.subscriber_id == subscriber_id, SequenceEvent.at <= now)
        .group_by(SequenceEvent.name)
    )
    return {name: at for name, at in rows if at is not None}


def load_facts(
    session: Session,
    subscriber_id: int,
    fields: dict[str, Any],
    refs: dict[str, int],
    now: datetime,
) -> Facts:
    """Everything the conditions and relative waits may ask about this person at `now`."""
    by_id = {message_id: ref for ref, message_id in refs.items()}
    opens = tuple(
        Open(by_id[message_id], proxy)
        for message_id, proxy in mail_queries.opens_of(session, subscriber_id, list(by_id))
    )
    clicked: set[str] = set()
    purchased: set[str] = set()
    for _, kind, ref, _at in audience_queries.activity_between(
        session, ("clicked", "purchased"), EPOCH, now, subscriber_ids=[subscriber_id]
    ):
        (clicked if kind == "clicked" else purchased).add(ref)
    events: dict[str, datetime] = event_times(session, subscriber_id, now)
    for name in list(events):
        product = purchase_of(name)
        if product is not None:
            purchased.add(product)
    webinars: dict[str, Attendance] = {}
    for _, name, start in webinar_queries.registered_between(
        session, EPOCH, now, subscriber_ids=[subscriber_id]
    ):
        webinars[name] = Attendance.REGISTERED
        events[f"webinar:{name}"] = start
        events["webinar"] = start  # registration order: the latest one wins
    for _, name, status in outcomes(session, EPOCH, now, [subscriber_id]):
        if _RANK[status] > _RANK[webinars.get(name, Attendance.REGISTERED)]:
            webinars[name] = status
        else:
            webinars.setdefault(name, status)
    return Facts(
        tags=frozenset(audience_queries.tags_of(session, subscriber_id)),
        fields={k: str(v) for k, v in fields.items() if v is not None},
        clicked=frozenset(clicked),
        purchased=frozenset(purchased),
        webinars=webinars,
        opens=opens,
        events=events,
    )
