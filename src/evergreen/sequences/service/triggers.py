"""The trigger scan: enrol everyone whose sequence trigger fired since the last tick looked.

No area calls the sequences when something happens; each tick asks them, for every active
sequence, what happened in [since, now] (since = how far the last scan looked, less a margin
for late commits, never before the sequence was activated):

- joined a list, got a tag: audience memberships and tags;
- registered for a webinar: the webinars area's registrations (`registered_between`);
- attended, left early, missed a webinar: `facts.outcomes` (the plug for the webinars area);
- clicked a link, bought a product: audience activity `clicked` / `purchased` (its ref: the
  link's slug, the product), and API events named `purchase` or `purchase:<product>`;
- an API event: `sequence_events` stored since (by when they were stored, so an event posted
  late about an earlier moment still enrols);
- a date field (birthday, renewal): every member of the sequence's list whose field's next
  anniversary at the trigger's local hour, in their zone, fell in [since, now].

Before enrolling, the tick wakes the waiting enrolments of people whose facts changed in the
same window (a registration, an API event, a click or purchase, a webinar outcome): they are
made due now, so a goal reached mid-wait takes them out at once and a relative wait whose event
was unknown (registered after enrolling) gets its time; one not due stays as it was.

Enrolment is idempotent: one row per sequence and person. A yearly date-field trigger re-enrols
someone whose earlier run has ended (finished or exited) by restarting that row at the first
step; its `created_at` becomes the new run's start, so a rescan of the same anniversary (created
at or after it) never restarts it twice, and Notify/Webhook keys (which include the run's start)
are new each year. An enrolment still active from last year is left alone. The mail send log
keeps one row per (message, person), so a Send step reaches a person once ever; a yearly
greeting needs a new message each year.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from evergreen.audience import queries as audience_queries
from evergreen.audience import service as audience
from evergreen.errors import InputError
from evergreen.sequences.models import Enrolment, Sequence, SequenceEvent
from evergreen.sequences.rules import (
    Attendance,
    BoughtProduct,
    ClickedLink,
    DateField,
    GotTag,
    Happened,
    JoinedList,
    Trigger,
    WebinarTrigger,
    dump_position,
    fires,
    next_anniversary,
    parse_program,
    parse_trigger,
    start,
)
from evergreen.sequences.rules.actions import purchase_of
from evergreen.sequences.rules.timing import zone_for
from evergreen.sequences.service.facts import outcomes
from evergreen.webinars import queries as webinar_queries

__all__ = ["MARGIN", "enroll", "enroll_triggered"]

MARGIN = timedelta(minutes=10)  # the trigger scan looks this far back again (late commits)


def _insert(session: Session) -> Any:
    return postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def enroll(session: Session, sequence: Sequence, subscriber_id: int, now: datetime) -> bool:
    """Enrol a person at the program's first step, due now; False when already enrolled."""
    position = start(parse_program(sequence.program), now)
    statement = (
        _insert(session)(Enrolment)
        .values(
            sequence_id=sequence.id,
            subscriber_id=subscriber_id,
            position=dump_position(position),
            due_at=position.due,
            status="active",
            exit_reason="",
            steps_done=0,
            claimed_by="",
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["sequence_id", "subscriber_id"])
        .returning(Enrolment.id)
    )
    return session.execute(statement).first() is not None


def _restart(
    session: Session, sequence: Sequence, subscriber_id: int, occurrence: datetime, now: datetime
) -> bool:
    """Start an ended enrolment again (a yearly trigger's next year); False when it is still
    active or already started for this occurrence."""
    position = start(parse_program(sequence.program), now)
    changed = session.execute(
        update(Enrolment)
        .where(
            Enrolment.sequence_id == sequence.id,
            Enrolment.subscriber_id == subscriber_id,
            Enrolment.status != "active",
            Enrolment.created_at < occurrence,
        )
        .values(
            position=dump_position(position),
            due_at=position.due,
            status="active",
            exit_reason="",
            claimed_by="",
            claimed_until=None,
            created_at=now,
            updated_at=now,
        )
    ).rowcount  # type: ignore[attr-defined]
    return bool(changed)


def _enrolled(session: Session, sequence_id: int, ids: list[int]) -> set[int]:
    """Which of these people the sequence has enrolled already (at any status)."""
    found: set[int] = set()
    for start_at in range(0, len(ids), 500):
        found.update(
            session.scalars(
                select(Enrolment.subscriber_id).where(
                    Enrolment.sequence_id == sequence_id,
                    Enrolment.subscriber_id.in_(ids[start_at : start_at + 500]),
                )
            )
        )
    return found


def _api_events(session: Session, since: datetime, now: datetime) -> list[tuple[int, str]]:
    """(subscriber id, event name) of API events stored in [since, now]."""
    rows = session.execute(
        select(SequenceEvent.subscriber_id, SequenceEvent.name)
        .where(SequenceEvent.created_at >= since, SequenceEvent.created_at <= now)
        .order_by(SequenceEvent.id)
    )
    return [(row[0], row[1]) for row in rows]


def _happened(
    session: Session, trigger: Trigger, since: datetime, now: datetime
) -> list[tuple[int, Happened]]:
    """Who had something happen in [since, now] that this kind of trigger listens for."""
    match trigger:
        case JoinedList(list_ref):
            try:
                list_id = audience.list_named(session, list_ref).id
            except InputError:  # the trigger's list was renamed or deleted: nobody joins it
                return []
            ids = audience_queries.joined_between(session, list_id, since, now)
            return [(i, Happened("joined", list_ref)) for i in ids]
        case GotTag(name):
            ids = audience_queries.tagged_between(session, name, since, now)
            return [(i, Happened("tagged", name)) for i in ids]
        case WebinarTrigger(Attendance.REGISTERED, _):
            rows = webinar_queries.registered_between(session, since, now)
            return [(i, Happened("webinar_registered", name)) for i, name, _ in rows]
        case WebinarTrigger():
            return [
                (i, Happened(f"webinar_{status.value}", name))
                for i, name, status in outcomes(session, since, now)
            ]
        case ClickedLink() | BoughtProduct():
            kinds = {"clicked": "clicked", "purchased": "bought"}
            found = [
                (i, Happened(kinds[kind], ref))
                for i, kind, ref, _ in audience_queries.activity_between(
                    session, ("clicked",) if isinstance(trigger, ClickedLink) else ("purchased",),
                    since, now,
                )
            ]  # fmt: skip
            if isinstance(trigger, BoughtProduct):
                for i, name in _api_events(session, since, now):
                    product = purchase_of(name)
                    if product is not None:
                        found.append((i, Happened("bought", product)))
            return found
        case DateField():
            return []  # by the clock: see _date_field
        case _:
            return [(i, Happened("api", name)) for i, name in _api_events(session, since, now)]


def _date_field(
    session: Session, sequence: Sequence, trigger: DateField, since: datetime, now: datetime
) -> int:
    """Enrol (or, a year on, restart) each member whose anniversary fell in [since, now]."""
    if sequence.list_id is None:
        return 0
    enrolled = 0
    for chunk in audience_queries.members(session, sequence.list_id):
        for member in chunk:
            value = member.fields.get(trigger.field)
            if not isinstance(value, str) or not value.strip():
                continue
            zone = zone_for(member.time_zone, "UTC")
            try:
                occurrence = next_anniversary(value, since, zone, trigger.hour, trigger.minute)
            except InputError:  # not a date: the field is ignored, never a failed tick
                continue
            if occurrence > now:
                continue
            if enroll(session, sequence, member.id, now) or _restart(
                session, sequence, member.id, occurrence, now
            ):
                enrolled += 1
    return enrolled


def _wake(session: Session, since: datetime, now: datetime) -> int:
    """Make due now the waiting enrolments of people whose facts changed in [since, now]
    (registered, an API event, a click or purchase, a webinar outcome): a goal they reached
    takes them out at once, and a relative wait whose event was unknown is timed. Advancing
    a woken enrolment that is not yet due stores its position and due time unchanged."""
    ids = {i for i, _, _ in webinar_queries.registered_between(session, since, now)}
    ids |= webinar_queries.sessions_changed_between(session, since, now)
    ids |= {i for i, _ in _api_events(session, since, now)}
    ids |= {
        i
        for i, _, _, _ in audience_queries.activity_between(
            session, ("clicked", "purchased"), since, now
        )
    }
    ids |= {i for i, _, _ in outcomes(session, since, now)}
    woken = 0
    ordered = sorted(ids)
    for start_at in range(0, len(ordered), 500):
        woken += session.execute(
            update(Enrolment)
            .where(
                Enrolment.status == "active",
                Enrolment.subscriber_id.in_(ordered[start_at : start_at + 500]),
                or_(Enrolment.due_at.is_(None), Enrolment.due_at > now),
            )
            .values(due_at=now)
        ).rowcount  # type: ignore[attr-defined]
    return woken


def enroll_triggered(session: Session, now: datetime) -> int:
    """Wake enrolments whose facts changed, then enrol everyone whose trigger fired since the
    last scan; how many were enrolled."""
    enrolled = 0
    marks = session.scalars(
        select(Sequence.enrolled_through).where(
            Sequence.status == "active", Sequence.enrolled_through.is_not(None)
        )
    ).all()
    if marks:
        _wake(session, min(m for m in marks if m is not None) - MARGIN, now)
    for sequence in session.scalars(
        select(Sequence)
        .where(Sequence.status == "active")
        .order_by(Sequence.id)
        .with_for_update(skip_locked=True)  # another tick is enrolling for it
    ):
        since = (sequence.enrolled_through or sequence.activated_at or now) - MARGIN
        if sequence.activated_at is not None:
            since = max(since, sequence.activated_at)
        trigger = parse_trigger(sequence.trigger)
        if isinstance(trigger, DateField):
            enrolled += _date_field(session, sequence, trigger, since, now)
        else:
            candidates = [
                (i, happened)
                for i, happened in _happened(session, trigger, since, now)
                if fires(trigger, happened)
            ]
            # Known people are left out before inserting: an insert that meets the unique key
            # of an enrolment another tick is updating would wait for that tick.
            known = _enrolled(session, sequence.id, [i for i, _ in candidates])
            for subscriber_id in dict.fromkeys(i for i, _ in candidates):
                if subscriber_id not in known and enroll(session, sequence, subscriber_id, now):
                    enrolled += 1
        if sequence.enrolled_through is None or sequence.enrolled_through < now:
            sequence.enrolled_through = now
    session.flush()
    return enrolled
