"""Two workers delivering webhooks at the same time send each delivery exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from evergreen.addresses import Addresses
from evergreen.db import Database
from evergreen.partners import service
from evergreen.partners.models import WebhookDelivery
from evergreen.partners.service.webhooks import add_endpoint, deliver_due, emit, http_sender

EVENTS = 30

# The receiver listens on loopback, which deliveries refuse unless the owner allows it.
_LOOPBACK = Addresses("127.0.0.1")
_SEND = http_sender(Addresses("127.0.0.1", names=True))


class SlowReceiver:
    """A local endpoint that takes a moment to answer, so two workers' runs overlap."""

    def __init__(self, delay: float) -> None:
        self.event_ids: list[str] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(delay)
                with outer.lock:
                    outer.event_ids.append(self.headers["Evergreen-Event-Id"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[SlowReceiver]:
    """A running local receiver that answers after 20 ms."""
    running = SlowReceiver(delay=0.02)
    yield running
    running.server.shutdown()
    running.server.server_close()


def _queue_events(db: Database, url: str) -> None:
    with db.session() as session:
        program = service.default_program(session)
        add_endpoint(session, program, url, ["commission.created"], allow=_LOOPBACK)
        for n in range(EVENTS):
            emit(session, program.id, "commission.created", f"evt-{n}", {"n": n})


def test_two_workers_at_once_send_each_delivery_exactly_once(
    db: Database, receiver: SlowReceiver
) -> None:
    _queue_events(db, receiver.url)
    now = datetime.now(UTC) + timedelta(seconds=1)
    start = threading.Barrier(2)
    results: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(10)
            with db.session() as session:
                results.append(deliver_due(session, now, _SEND))
        except BaseException as exc:  # reported below, with the counts
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    sent = Counter(receiver.event_ids)
    assert sorted(sent) == sorted(f"evt-{n}" for n in range(EVENTS))
    assert set(sent.values()) == {1}, [e for e, times in sent.items() if times > 1]
    assert sum(delivered for delivered, _failed in results) == EVENTS
    with db.session(writer=False) as session:
        rows = session.scalars(select(WebhookDelivery)).all()
    assert {(r.status, r.attempts, r.claimed_by) for r in rows} == {("delivered", 1, "")}


def test_a_delivery_left_claimed_by_a_dead_worker_is_sent_after_the_lease(
    db: Database, receiver: SlowReceiver
) -> None:
    _queue_events(db, receiver.url)
    now = datetime.now(UTC) + timedelta(seconds=1)
    with db.session() as session:
        for row in session.scalars(select(WebhookDelivery)):
            row.status, row.claimed_by, row.claimed_at = "sending", "dead-worker", now
    with db.session() as session:
        assert deliver_due(session, now + timedelta(minutes=1), _SEND) == (0, 0)  # still its claim
        assert deliver_due(session, now + timedelta(minutes=16), _SEND) == (EVENTS, 0)
    assert len(receiver.event_ids) == EVENTS
