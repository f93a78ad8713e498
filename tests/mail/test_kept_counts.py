"""A broadcast's kept counts (issue 12: linear at a million recipients) equal a recount of its
send log, on SQLite and PostgreSQL: after every outcome path one by one, after random
interleavings of several senders' claims, answers, abandoned leases, bounces and complaints,
and after a real send to a misbehaving SMTP server from two senders at once."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.audience import queries as audience_queries
from evergreen.audience import service as audience
from evergreen.audience.rules import Source
from evergreen.db import Database, utcnow
from evergreen.mail import queries, service
from evergreen.mail.models import MailSend
from evergreen.mail.service import delivery
from evergreen.mail.service.bounces import apply_recipient
from tests.mail.smtp_server import FaultyHandler, outbox_for, smtp_server

SECRET = "test-secret-for-mail-kept-counts-0123456789"
WAITING = ("queued", "claimed", "deferred")


@pytest.fixture
def smtp() -> Iterator[tuple[FaultyHandler, int]]:
    with smtp_server() as running:
        yield running


def _broadcast(db: Database, emails: list[str]) -> int:
    """A broadcast to these people, sent now (its send log queued)."""
    with db.session() as session:
        list_id = audience.create_list(session, f"News {emails[0]}", double_opt_in=False).id
        for address in emails:
            audience.subscribe(session, SECRET, address, list_id, audience.Consent(Source.API))
        draft = service.Draft("Hello", "Hi {{ subscriber.name }}", list_id)
        broadcast_id = service.create_broadcast(session, draft).id
        service.act(session, broadcast_id, "send")
    return broadcast_id


def _recounted(session: Session, broadcast_id: int) -> tuple[dict[str, int], int]:
    """The card's counts and the complaints, counted now from every send row."""
    found = service.counts(session, broadcast_id)
    shown = {s: found.get(s, 0) for s in ("sent", "failed", "bounced", "skipped")}
    shown["waiting"] = sum(found.get(s, 0) for s in WAITING)
    complaints = session.scalar(
        select(func.count()).where(
            MailSend.message_id == broadcast_id, MailSend.complained_at.is_not(None)
        )
    )
    return {s: n for s, n in shown.items() if n}, complaints or 0


def _assert_kept(db: Database, broadcast_id: int) -> dict[str, int]:
    """What the API and the page show equals the recount; returns it."""
    with db.session() as session:
        card = queries.broadcast_card(session, broadcast_id)
        stats = queries.stats(session, broadcast_id)
        counts, complaints = _recounted(session, broadcast_id)
    assert card is not None
    assert card.to_dict()["counts"] == counts
    assert (stats.sent, stats.failed, stats.bounced, stats.skipped, stats.waiting) == tuple(
        counts.get(s, 0) for s in ("sent", "failed", "bounced", "skipped", "waiting")
    )
    assert stats.complaints == complaints
    return {**counts, "complaints": complaints}


def _claim(
    db: Database, run: str, batch: int, now: datetime, only: int | None = None
) -> list[delivery._Claimed]:
    with db.session() as session:
        return delivery._claim(session, now, run, delivery.LEASE, batch, only)


def _land(db: Database, run: str, outcomes: list[delivery._Outcome], now: datetime) -> None:
    """Record a batch's outcomes and do the after-batch bookkeeping, as the sender does."""
    with db.session() as session:
        delivery._record(session, run, outcomes, now)
        delivery._after_batch(session, {o.claimed.message_id for o in outcomes}, now)


def _dsn(db: Database, broadcast_id: int, subscriber_id: int, kind: str) -> None:
    """A bounce or complaint read later (a DSN, an ARF report) for one person's message."""
    with db.session() as session:
        apply_recipient(
            session,
            SECRET,
            subscriber_id=subscriber_id,
            message_id=broadcast_id,
            address="someone@example.com",
            kind="hard" if kind == "hard" else "complaint",
            status="5.1.1" if kind == "hard" else "",
            diagnostic="test",
            now=utcnow(),
        )


def _outcome(claimed: delivery._Claimed, status: str, now: datetime) -> delivery._Outcome:
    later = now - timedelta(seconds=1) if status == "deferred" else None  # due again at once
    return delivery._Outcome(claimed, status, "" if status == "sent" else "test", next_at=later)


def _send_all_as(db: Database, broadcast_id: int, status: str) -> list[delivery._Claimed]:
    now = utcnow()
    claimed = _claim(db, "a", 100, now, broadcast_id)
    _land(db, "a", [_outcome(c, status, now) for c in claimed], now)
    return claimed


def _path_sent(db: Database, broadcast_id: int) -> str:
    _send_all_as(db, broadcast_id, "sent")
    return "sent"


def _path_failed(db: Database, broadcast_id: int) -> str:
    _send_all_as(db, broadcast_id, "failed")
    return "failed"


def _path_bounced(db: Database, broadcast_id: int) -> str:
    _send_all_as(db, broadcast_id, "bounced")
    return "bounced"


def _path_skipped(db: Database, broadcast_id: int) -> str:
    _send_all_as(db, broadcast_id, "skipped")
    return "skipped"


def _path_cancelled(db: Database, broadcast_id: int) -> str:
    with db.session() as session:
        service.act(session, broadcast_id, "cancel")
    return "skipped"


def _path_bounced_after_sent(db: Database, broadcast_id: int) -> str:
    sent = _send_all_as(db, broadcast_id, "sent")
    _dsn(db, broadcast_id, sent[0].subscriber_id, "hard")
    return "bounced"


def _path_bounced_while_deferred(db: Database, broadcast_id: int) -> str:
    deferred = _send_all_as(db, broadcast_id, "deferred")
    _dsn(db, broadcast_id, deferred[0].subscriber_id, "hard")
    return "bounced"


def _path_complaint(db: Database, broadcast_id: int) -> str:
    sent = _send_all_as(db, broadcast_id, "sent")
    _dsn(db, broadcast_id, sent[1].subscriber_id, "complaint")
    _dsn(db, broadcast_id, sent[1].subscriber_id, "complaint")  # a second report counts once
    return "complaints"


PATHS: dict[str, Callable[[Database, int], str]] = {
    "sent": _path_sent,
    "failed": _path_failed,
    "bounced at send": _path_bounced,
    "skipped at send": _path_skipped,
    "cancelled": _path_cancelled,
    "bounced after sent": _path_bounced_after_sent,
    "bounced while deferred": _path_bounced_while_deferred,
    "complaint": _path_complaint,
}


def test_every_outcome_path_moves_the_kept_counts(db: Database) -> None:
    """One broadcast per path: the count that path moves is non-zero and equals the recount
    (a path that forgot its count fails here by name)."""
    for number, (name, path) in enumerate(PATHS.items()):
        broadcast_id = _broadcast(db, [f"p{number}-{i}@example.com" for i in range(3)])
        counted = path(db, broadcast_id)
        kept = _assert_kept(db, broadcast_id)
        assert kept.get(counted, 0) >= 1, name


def test_finishes_only_when_every_row_is_done_and_then_counts_equal_the_log(
    db: Database,
) -> None:
    broadcast_id = _broadcast(db, [f"p{i}@example.com" for i in range(6)])
    now = utcnow()
    first = _claim(db, "a", 4, now, broadcast_id)
    _land(db, "a", [_outcome(c, "sent", now) for c in first[:3]], now)
    _land(db, "a", [_outcome(first[3], "deferred", now)], now)
    with db.session() as session:
        assert service.get_broadcast(session, broadcast_id).status == "sending"
    rest = _claim(db, "b", 10, utcnow())
    assert len(rest) == 3  # the deferred one (due again) and the two never claimed
    _land(db, "b", [_outcome(c, "sent", now) for c in rest], now)
    with db.session() as session:
        row = service.get_broadcast(session, broadcast_id)
        assert (row.status, row.counts) == ("finished", {"sent": 6})
    assert _assert_kept(db, broadcast_id) == {"sent": 6, "complaints": 0}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_interleavings_of_senders_keep_counts_equal_to_a_recount(
    db: Database, seed: int
) -> None:
    """Three senders claim, answer in any order, abandon leases (another sender takes the
    rows; the first one's late answer is dropped), while bounces, complaints and a pause and
    resume come in between: after every step the kept counts equal a recount."""
    rng = random.Random(seed)
    broadcast_id = _broadcast(db, [f"p{i}@example.com" for i in range(40)])
    in_flight: list[tuple[str, list[delivery._Claimed]]] = []
    clock = utcnow()
    for _ in range(60):
        clock += timedelta(seconds=1)
        move = rng.choice(["claim", "claim", "land", "land", "abandon", "dsn", "pause"])
        if move == "claim":
            run = rng.choice("abc")
            claimed = _claim(db, run, rng.randint(1, 6), clock)
            if claimed:
                in_flight.append((run, claimed))
        elif move == "land" and in_flight:
            run, claimed = in_flight.pop(rng.randrange(len(in_flight)))
            statuses = ["sent", "sent", "sent", "bounced", "deferred", "failed", "skipped"]
            _land(db, run, [_outcome(c, rng.choice(statuses), clock) for c in claimed], clock)
        elif move == "abandon":  # a lease runs out: a fourth sender takes the stale rows
            clock += delivery.LEASE + timedelta(minutes=1)
            taken = _claim(db, "d", 50, clock)
            if taken:
                in_flight.append(("d", taken))
        elif move == "dsn":
            with db.session() as session:
                people = list(
                    session.scalars(
                        select(MailSend.subscriber_id).where(MailSend.message_id == broadcast_id)
                    )
                )
            _dsn(db, broadcast_id, rng.choice(people), rng.choice(["hard", "complaint"]))
        elif move == "pause":
            with db.session() as session:
                status = service.get_broadcast(session, broadcast_id).status
                if status in ("sending", "paused"):
                    service.act(session, broadcast_id, "pause" if status == "sending" else "resume")
        _assert_kept(db, broadcast_id)
    for run, claimed in in_flight:  # every sender answers at last
        _land(db, run, [_outcome(c, "sent", clock) for c in claimed], clock)
        _assert_kept(db, broadcast_id)
    with db.session() as session:
        row = service.get_broadcast(session, broadcast_id)
        if row.status == "paused":
            service.act(session, broadcast_id, "resume")
    for _ in range(20):  # the rest goes out
        clock += delivery.LEASE + timedelta(minutes=1)
        if not _send_all_at(db, clock):
            break
    kept = _assert_kept(db, broadcast_id)
    with db.session() as session:
        row = service.get_broadcast(session, broadcast_id)
        open_rows = sum(service.counts(session, broadcast_id).get(s, 0) for s in WAITING)
    assert open_rows == 0
    assert "waiting" not in kept
    assert row.status == "finished"


def _send_all_at(db: Database, now: datetime) -> bool:
    claimed = _claim(db, "z", 100, now)
    _land(db, "z", [_outcome(c, "sent", now) for c in claimed], now)
    return bool(claimed)


def test_two_senders_to_a_misbehaving_server_keep_counts_equal_to_a_recount(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    emails = [f"p{i}@example.com" for i in range(30)]
    emails += ["hard1@example.com", "hard2@example.com", "datafail1@example.com"]
    emails += ["temp1@example.com", "leaver@example.com"]
    broadcast_id = _broadcast(db, emails)
    with db.session() as session:
        leaver = audience_queries.find_by_email(session, "leaver@example.com")
        assert leaver is not None
        audience.unsubscribe(session, SECRET, leaver.id)
    outbox = outbox_for(tmp_path, port, SECRET)
    threads = [
        threading.Thread(target=service.send_due, args=(db, outbox), kwargs={"batch": 4})
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert len(handler.received) == 30
    kept = _assert_kept(db, broadcast_id)
    assert kept == {"sent": 30, "bounced": 3, "skipped": 1, "waiting": 1, "complaints": 0}
    with db.session() as session:  # reports arrive later: a complaint, a DSN for a sent one
        sent = list(
            session.scalars(
                select(MailSend.subscriber_id).where(
                    MailSend.message_id == broadcast_id, MailSend.status == "sent"
                )
            )
        )
    _dsn(db, broadcast_id, sent[0], "complaint")
    _dsn(db, broadcast_id, sent[1], "hard")
    assert _assert_kept(db, broadcast_id) == {
        "sent": 29, "bounced": 4, "skipped": 1, "waiting": 1, "complaints": 1,
    }  # fmt: skip
    with db.session() as session:  # the deferred one is cancelled: skipped, and finished
        assert service.act(session, broadcast_id, "cancel").status == "cancelled"
    assert _assert_kept(db, broadcast_id)["skipped"] == 2
