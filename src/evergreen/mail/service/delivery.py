"""The sender loop: claim a batch of due send rows, compose, send, record; repeat.

A row is claimed (status `claimed`, with who and when) and the claim committed before its
message goes out; its outcome is committed as soon as the batch's answers are in. No write
transaction is open while a server answers. Two batches overlap: while one batch's messages are
on the wire, the next is claimed and composed, each message handed to the connections as soon as
it is signed (the CPU composes while the server answers, as a pipeline); a batch is recorded
once all its answers are in. On PostgreSQL the claim is one `UPDATE … WHERE id IN (SELECT …
FOR UPDATE SKIP LOCKED) RETURNING` per broadcast, so several workers never take the same row;
on SQLite the file has one writer at a time. A claim reads a partial index of the open rows
(`ix_mail_sends_open`), broadcast by broadcast, and the bookkeeping after a batch reads the
broadcast's kept counts (`tally`) and one index seek: neither grows with the rows already sent.

Only a broadcast in `sending` is claimed from: pausing stops once the batches in flight are done,
resuming carries on with the rows not yet claimed, and a row once sent is never claimed again. A
row claimed by a process that died (kill -9) stays `claimed` until its lease ends; it is then
claimed again with `maybe_delivered` set, because its message may or may not have reached the
server: those rows, at most two batches per dead process (the one on the wire and the one being
composed), are the only ones a person may get twice (with the same Message-ID, which mail
clients fold) and they are counted and reported.

The preference centre's frequency is honoured when a row is claimed, not when it is queued: the
gap is measured up to the moment the message would go (a broadcast may be queued, then paused
for days; two broadcasts may be sending at once, and the second to reach a weekly person in the
same week is the one skipped). Such a row is recorded `skipped` with the reason ("frequency:
weekly"), so it is counted, never silently dropped, and never sent later. Workers running at
once on PostgreSQL only see each other's sends once recorded, so two broadcasts claimed in the
same second by two workers may both reach a weekly person.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from evergreen.audience import queries as audience
from evergreen.audience import service as audience_service
from evergreen.db import Database, utcnow
from evergreen.mail.errors import MailInputError
from evergreen.mail.models import OPEN_ROW, Broadcast, MailSend
from evergreen.mail.rules.bounces import classify
from evergreen.mail.rules.delivery_health import auto_pause
from evergreen.mail.rules.frequency import GAPS, frequency_skip
from evergreen.mail.rules.retry import next_attempt
from evergreen.mail.sending.sender import Delivery, Sender
from evergreen.mail.service import broadcasts, tally
from evergreen.mail.service.bounces import apply_recipient
from evergreen.mail.service.composing import Composer, Plan
from evergreen.mail.service.outbox import Outbox

__all__ = ["BATCH", "LEASE", "Report", "send_due", "waiting_line"]

BATCH = 100  # two batches are in flight at a time, so at most 200 messages
LEASE = timedelta(minutes=10)  # longer than any batch takes; past it a claim is abandoned
_SAY_WAIT_S = 5.0  # waits from which `on_wait` hears of them
log = logging.getLogger(__name__)
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d])")


@dataclass
class Report:
    """What one run did."""

    sent: int = 0
    bounced: int = 0
    deferred: int = 0
    failed: int = 0
    skipped: int = 0
    maybe_delivered: int = 0
    broadcasts: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class _Claimed:
    id: int
    message_id: int
    subscriber_id: int
    attempts: int
    maybe_delivered: bool


@dataclass(frozen=True)
class _Outcome:
    claimed: _Claimed
    status: str  # sent, bounced, deferred, failed, skipped
    error: str = ""
    maybe_delivered: bool = False
    next_at: datetime | None = None
    delivery: Delivery | None = None


def _run_id() -> str:
    return f"{socket.gethostname()[:40]}/{os.getpid()}/{secrets.token_hex(4)}"


def _claim(
    session: Session, now: datetime, run: str, lease: timedelta, batch: int, only: int | None
) -> list[_Claimed]:
    """Take up to a batch of due rows of sending broadcasts (or of one): broadcast by broadcast,
    each through the index of its open rows, so no sent row is stepped over."""
    if only is not None:
        return _claim_from(session, now, run, lease, batch, only)
    claimed: list[_Claimed] = []
    sending = select(Broadcast.id).where(Broadcast.status == "sending").order_by(Broadcast.id)
    for broadcast_id in session.scalars(sending).all():
        claimed += _claim_from(session, now, run, lease, batch - len(claimed), broadcast_id)
        if len(claimed) >= batch:
            break
    return sorted(claimed, key=lambda c: c.id)


def _claim_from(
    session: Session, now: datetime, run: str, lease: timedelta, batch: int, broadcast_id: int
) -> list[_Claimed]:
    """Take up to a batch of due rows of one sending broadcast, in one statement."""
    due = (
        select(MailSend.id)
        .join(Broadcast, Broadcast.id == MailSend.message_id)
        .where(
            MailSend.message_id == broadcast_id,
            OPEN_ROW,  # the open rows' index: sent ones are not in it
            Broadcast.status == "sending",
            or_(
                and_(MailSend.status.in_(("queued", "deferred")), MailSend.next_attempt_at <= now),
                and_(
                    MailSend.status == "claimed",
                    MailSend.claimed_at < now - lease,
                    MailSend.claimed_by != run,  # its own batch on the wire is not abandoned
                ),
            ),
        )
        .order_by(MailSend.id)
        .limit(batch)
        .with_for_update(skip_locked=True, of=MailSend)
    )
    claim = (
        update(MailSend)
        .where(MailSend.id.in_(due))
        .values(
            status="claimed",
            claimed_by=run,
            claimed_at=now,
            # Claimed before and never answered: its message may be out already.
            maybe_delivered=case(
                (MailSend.status == "claimed", True), else_=MailSend.maybe_delivered
            ),
        )
        .returning(
            MailSend.id,
            MailSend.message_id,
            MailSend.subscriber_id,
            MailSend.attempts,
            MailSend.maybe_delivered,
        )
    )
    rows = session.execute(claim, execution_options={"synchronize_session": False}).all()
    return sorted((_Claimed(*row) for row in rows), key=lambda c: c.id)


def _status_code(delivery: Delivery) -> str:
    found = _STATUS.search(delivery.text)
    if found:
        return ".".join(found.groups())
    return f"{(delivery.code or 500) // 100}.0.0"


def _outcome(claimed: _Claimed, delivery: Delivery, now: datetime) -> _Outcome:
    """A row's next status from the server's answer (the retry schedule for deferrals)."""
    maybe = claimed.maybe_delivered or delivery.maybe_delivered
    text = f"{delivery.code or ''} {delivery.text}".strip()[:500]
    if delivery.outcome == "sent":
        return _Outcome(claimed, "sent", "", maybe, delivery=delivery)
    if delivery.outcome == "bounced":
        return _Outcome(claimed, "bounced", text, maybe, delivery=delivery)
    if delivery.outcome == "failed":  # never sendable as it is (no SMTPUTF8, a bug): not retried
        return _Outcome(claimed, "failed", text, maybe, delivery=delivery)
    later = next_attempt(claimed.attempts + 1, now)
    if later is None:
        return _Outcome(claimed, "failed", f"gave up: {text}", maybe, delivery=delivery)
    return _Outcome(claimed, "deferred", text, maybe, later, delivery)


_RECORD = (
    update(MailSend.__table__)  # type: ignore[arg-type]
    .where(
        MailSend.__table__.c.id == bindparam("row_id"),
        MailSend.__table__.c.claimed_by == bindparam("run"),
    )
    .values(
        status=bindparam("new_status"),
        attempts=MailSend.__table__.c.attempts + bindparam("tried"),
        next_attempt_at=bindparam("next_at"),
        sent_at=bindparam("sent_at"),
        error=bindparam("error"),
        maybe_delivered=bindparam("maybe"),
        claimed_by="",
        claimed_at=None,
    )
)


def _record(session: Session, run: str, outcomes: list[_Outcome], now: datetime) -> None:
    """Store every outcome of the batch (rows reclaimed by another run meanwhile are left) and
    move each broadcast's kept counts by the rows really stored, in the same transaction."""
    groups: dict[tuple[int, str], list[_Outcome]] = {}
    for o in outcomes:
        groups.setdefault((o.claimed.message_id, o.status), []).append(o)
    moved: dict[int, dict[str, int]] = {}
    for (message_id, status), group in groups.items():
        stored = session.connection().execute(
            _RECORD,
            [
                {
                    "row_id": o.claimed.id,
                    "run": run,
                    "new_status": o.status,
                    "tried": 0 if o.status == "skipped" else 1,
                    "next_at": o.next_at or now,
                    "sent_at": now if o.status == "sent" else None,
                    "error": o.error,
                    "maybe": o.maybe_delivered,
                }
                for o in group
            ],
        )
        if status in tally.KEPT:  # deferred stays open: counted among the waiting
            moved.setdefault(message_id, {})[status] = stored.rowcount
    for message_id, changes in moved.items():
        tally.add(session, message_id, changes)


def _bounces(session: Session, outbox: Outbox, outcomes: list[_Outcome], now: datetime) -> None:
    """A 5xx at send time is a bounce: hard suppresses, soft counts toward the threshold."""
    for o in outcomes:
        if o.status != "bounced" or o.delivery is None:
            continue
        status = _status_code(o.delivery)
        apply_recipient(
            session,
            outbox.secret,
            subscriber_id=o.claimed.subscriber_id,
            message_id=o.claimed.message_id,
            address=o.delivery.recipient,
            kind=classify(status, o.delivery.text),
            status=status,
            diagnostic=o.delivery.text,
            now=now,
            mark_send=False,
        )


def _after_batch(session: Session, broadcast_ids: set[int], now: datetime) -> None:
    """Finish what is done; pause what bounces or draws complaints past the limits (from the
    kept counts and an index seek: the same cost at the millionth row as at the first)."""
    for broadcast_id in broadcast_ids:
        row = broadcasts.get_message(session, broadcast_id, lock=True)
        if broadcasts.finish_if_done(session, row, now) or row.status != "sending":
            continue
        if row.kind == "sequence":  # a step is never paused here: it has no page to resume it
            continue
        verdict = auto_pause(
            row.sent_count + row.bounced_count, row.bounced_count, row.complaint_count
        )
        if verdict.pause:
            broadcasts.act(session, broadcast_id, "pause", now=now, reason=verdict.reason)


@dataclass
class _Flight:
    """A claimed batch on the wire: outcomes known without sending, messages being sent."""

    claimed: list[_Claimed]
    outcomes: list[_Outcome]
    messages: list[tuple[_Claimed, object, bytes]]
    sending: list[asyncio.Future[Delivery]]
    given: set[int]


def send_due(
    db: Database,
    outbox: Outbox,
    *,
    broadcast_id: int | None = None,
    wait: bool = False,
    lease: timedelta = LEASE,
    batch: int = BATCH,
    clock: Callable[[], datetime] = utcnow,
    stop: Callable[[], bool] = lambda: False,
    max_sleep_s: float = 60.0,
    on_wait: Callable[[datetime], None] | None = None,
) -> Report:
    """Send every due message of every sending broadcast (or one); with `wait`, keep going until
    the broadcasts are finished or paused, sleeping until deferred messages are due. `on_wait`
    hears when the next message is due each time a wait of more than a few seconds begins (a
    command would otherwise sit silent for minutes while the mail server defers)."""
    return asyncio.run(
        _loop(db, outbox, broadcast_id, wait, lease, batch, clock, stop, max_sleep_s, on_wait)
    )


def waiting_line(due: datetime) -> str:
    """What a command says while it waits for the next due message."""
    return (
        f"Nothing is due now; waiting until {due:%Y-%m-%d %H:%M:%S} UTC for messages the mail "
        "server deferred (or a stopped sender had claimed). Ctrl+C stops here: the server's "
        "queue sends them when due."
    )


async def _loop(
    db: Database,
    outbox: Outbox,
    only: int | None,
    wait: bool,
    lease: timedelta,
    batch: int,
    clock: Callable[[], datetime],
    stop: Callable[[], bool],
    max_sleep_s: float,
    on_wait: Callable[[datetime], None] | None,
) -> Report:
    run, report = _run_id(), Report()
    said: datetime | None = None  # the due time `on_wait` last heard
    composer = Composer(outbox, links_writer=db.session)
    given: dict[int, datetime] = {}  # people given a message in batches not yet recorded
    flight: _Flight | None = None
    async with Sender(outbox.servers) as sender:
        while True:
            following: _Flight | None = None
            if not stop():
                now = clock()
                with db.session() as session:
                    broadcasts.start_due(session, now)
                    claimed = _claim(session, now, run, lease, batch, only)
                if claimed:
                    report.maybe_delivered += sum(c.maybe_delivered for c in claimed)
                    following = await _compose(db, composer, sender, claimed, now, given)
            if flight is not None:
                await _land(db, outbox, run, flight, report, clock)
                for person in flight.given - (following.given if following else set()):
                    given.pop(person, None)
            flight = following
            if flight is not None:
                continue
            now = clock()
            pause = _next_due(db, only, now, lease) if wait and not stop() else None
            if pause is None:
                break
            due = (now + timedelta(seconds=pause)).replace(microsecond=0)
            if on_wait is not None and pause >= _SAY_WAIT_S and due != said:
                on_wait(due)
                said = due
            await _sleep(min(max(pause, 0.05), max_sleep_s), stop)
    return report


async def _sleep(seconds: float, stop: Callable[[], bool]) -> None:
    """Sleep, asking `stop` every second: a sender whose command is gone ends within one, not
    after a whole wait for deferred messages."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0 and not stop():
        await asyncio.sleep(min(left, 1.0))


async def _land(
    db: Database,
    outbox: Outbox,
    run: str,
    flight: _Flight,
    report: Report,
    clock: Callable[[], datetime],
) -> None:
    """Wait for a batch's answers and record every outcome of it."""
    deliveries = await asyncio.gather(*flight.sending)
    done = clock()
    answered = zip(flight.messages, deliveries, strict=True)
    outcomes = flight.outcomes + [_outcome(c, d, done) for (c, _, _), d in answered]
    touched = {c.message_id for c in flight.claimed}
    with db.session() as session:
        _record(session, run, outcomes, done)
        _bounces(session, outbox, outcomes, done)
        _after_batch(session, touched, done)
    report.broadcasts |= touched
    for o in outcomes:
        setattr(report, o.status, getattr(report, o.status) + 1)


def _last_sent(
    session: Session, broadcast_id: int, people: list[int], given: dict[int, datetime]
) -> dict[int, datetime]:
    """When each of these people last received another broadcast (sent, or given a message in
    the batch at hand), for the frequency rule."""
    found = dict(given)
    for start in range(0, len(people), 500):
        rows = session.execute(
            select(MailSend.subscriber_id, func.max(MailSend.sent_at))
            .where(
                MailSend.subscriber_id.in_(people[start : start + 500]),
                MailSend.status == "sent",
                MailSend.message_id != broadcast_id,
            )
            .group_by(MailSend.subscriber_id)
        )
        for subscriber_id, at in rows:
            if at is not None and (subscriber_id not in found or at > found[subscriber_id]):
                found[subscriber_id] = at
    return found


async def _compose(
    db: Database,
    composer: Composer,
    sender: Sender,
    claimed: list[_Claimed],
    now: datetime,
    given: dict[int, datetime],
) -> _Flight:
    """Each claimed row's message, handed to the connections as soon as it is made, or its
    outcome when it will not be sent (someone who left the list since it was queued, or who had
    a broadcast too recently for the frequency they chose, is skipped; data that cannot make a
    message, or a bug in making it, fails that row alone). `given`: people given a message in
    batches not yet recorded, and now this one's. Reads only: a tracking link seen for the first
    time is made in its own short unit of work, so composing never holds the write lock of a
    SQLite file other senders share."""
    outcomes: list[_Outcome] = []
    messages: list[tuple[_Claimed, object, bytes]] = []
    sending: list[asyncio.Future[Delivery]] = []
    mine: set[int] = set()
    with db.session(writer=False) as session:
        by_broadcast: dict[int, list[_Claimed]] = {}
        for c in claimed:
            by_broadcast.setdefault(c.message_id, []).append(c)
        for broadcast_id, rows in by_broadcast.items():
            plan = composer.known(broadcast_id) or _plan(session, composer, broadcast_id)
            people = audience.recipients(session, plan.list_id, [c.subscriber_id for c in rows])
            # A sequence step was asked for by signing up: the broadcast frequency is not its.
            capped = [
                p.id
                for p in people.values()
                if p.fields.get("frequency") in GAPS and not plan.sequence
            ]
            last = _last_sent(session, broadcast_id, capped, given) if capped else given
            for c in rows:
                person = people.get(c.subscriber_id)
                if person is None:
                    outcomes.append(_Outcome(c, "skipped", "no longer subscribed"))
                    continue
                why = (
                    None
                    if plan.sequence
                    else frequency_skip(person.fields.get("frequency"), last.get(person.id), now)
                )
                if why is not None:
                    outcomes.append(_Outcome(c, "skipped", why))
                    continue
                try:
                    outgoing, data = composer.compose(session, plan, person, now)
                except MailInputError as exc:
                    outcomes.append(_Outcome(c, "failed", f"{exc.field}: {exc.message}"[:500]))
                    continue
                except SQLAlchemyError:
                    raise  # the database, not this message: the batch waits for its lease
                except Exception as exc:  # a bug in one message must not strand the batch
                    log.exception("composing broadcast %s for %s failed", broadcast_id, person.id)
                    why = " ".join(f"could not be composed ({type(exc).__name__}: {exc})".split())
                    outcomes.append(_Outcome(c, "failed", why[:500]))
                    continue
                messages.append((c, outgoing, data))
                sending.append(asyncio.ensure_future(sender.send(outgoing, data)))
                given[person.id] = now
                mine.add(person.id)
                if len(sending) % 8 == 0:
                    await asyncio.sleep(0)  # let the connections carry what is ready
    return _Flight(claimed, outcomes, messages, sending, mine)


def _plan(session: Session, composer: Composer, broadcast_id: int) -> Plan:
    """The broadcast compiled for this run, with its list's name (loaded once a run)."""
    broadcast = broadcasts.get_message(session, broadcast_id)
    list_id = broadcast.list_id or 0
    name = audience_service.get_list(session, list_id).name if list_id else ""
    return composer.plan(session, broadcast, name)


def _next_due(db: Database, only: int | None, now: datetime, lease: timedelta) -> float | None:
    """Seconds until the next row of a sending broadcast is due, or None when none is open."""
    with db.session(writer=False) as session:
        open_rows = (
            select(
                func.min(MailSend.next_attempt_at),
                func.min(MailSend.claimed_at),
            )
            .join(Broadcast, Broadcast.id == MailSend.message_id)
            .where(
                Broadcast.status == "sending",
                MailSend.status.in_(("queued", "deferred", "claimed")),
            )
        )
        if only is not None:
            open_rows = open_rows.where(MailSend.message_id == only)
        attempt, claimed = session.execute(open_rows).one()
        scheduled = session.scalar(
            select(func.min(Broadcast.scheduled_at)).where(Broadcast.status == "scheduled")
        )
    times = [t for t in (attempt, claimed + lease if claimed else None, scheduled) if t]
    if only is not None:
        times = [t for t in (attempt, claimed + lease if claimed else None) if t]
    if not times:
        return None
    return (min(times) - now).total_seconds()
