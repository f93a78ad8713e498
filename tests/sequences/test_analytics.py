"""Numbers per step on SQLite and PostgreSQL: a sequence run by `run_due` against a real SMTP
server; then a click on the first mail's link, an unsubscribe through its link, a commission
whose sub1 names it, and a goal reached: each count lands on its step and in the totals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from evergreen.audience import queries as audience_queries
from evergreen.audience import service as audience
from evergreen.db import Database, utcnow
from evergreen.links.clicks.rollups import add_rollups
from evergreen.mail import service as mail
from evergreen.mail.models import MailLink
from evergreen.mail.rules.recipient_tokens import RecipientToken, encode
from evergreen.networks.models import Network, NetworkEarning
from evergreen.sequences import queries, service
from tests.mail.smtp_server import FaultyHandler, smtp_server
from tests.sequences.test_engine import SECRET, _outbox, _setup

DOCUMENT: dict[str, Any] = {
    "trigger": {"kind": "joined_list", "list": "News"},
    "steps": [
        {"kind": "goal", "condition": {"kind": "tag", "name": "buyer"}},
        {"kind": "send", "message": "welcome"},
        {"kind": "wait", "seconds": 86400},
        {"kind": "send", "message": "offer"},
    ],
    "messages": {
        "welcome": {"subject": "Welcome", "body": "Read [the guide](https://example.com/guide)."},
        "offer": {"subject": "The offer", "body": "Buy it."},
    },
}


@pytest.fixture
def smtp() -> Iterator[tuple[FaultyHandler, int]]:
    with smtp_server() as running:
        yield running


def _row(numbers: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(row for row in numbers["steps"] if row["id"] == step_id)


def test_each_step_counts_sends_clicks_unsubscribes_conversions_and_goal_exits(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    outbox = _outbox(tmp_path, port)
    list_id = _setup(db, ["ann@example.com", "bob@example.com", "cy@example.com"], DOCUMENT)
    t0 = utcnow() + timedelta(seconds=5)
    assert service.run_due(db, t0, outbox=outbox).sent == 3
    with db.session() as session:
        sequence = service.get_sequence(session, "welcome")
        welcome = service.message_ids(session, sequence.id)["welcome"]
        link_ids = list(
            session.scalars(select(MailLink.link_id).where(MailLink.message_id == welcome))
        )
        assert link_ids, "the welcome mail's link is tracked"
        add_rollups(session, {(link_ids[0], t0.date(), "all", ""): [2, 2, 2]})
        ids = {
            e: audience_queries.find_by_email(session, e).id  # type: ignore[union-attr]
            for e in ("ann@example.com", "bob@example.com")
        }
        token = encode(SECRET, RecipientToken("u", welcome, ids["bob@example.com"], list_id))
        assert mail.unsubscribe(session, SECRET, token, "one-click")
        audience.add_tags(session, ids["ann@example.com"], ["buyer"])
        network = Network(name="acme", postback_secret="x" * 32)
        session.add(network)
        session.flush()
        session.add(
            NetworkEarning(
                network_id=network.id,
                order_id="o1",
                commission=Decimal("30"),
                currency="USD",
                sub={"sub1": f"b{welcome}"},
            )
        )
    later = service.run_due(db, t0 + timedelta(days=1, seconds=1), outbox=outbox)
    assert (later.sent, later.exited) == (1, 2)  # cy gets the offer; ann (goal), bob (left)
    assert len(handler.received) == 4
    with db.session() as session:
        numbers = queries.analytics(session, sequence.id)
    first, offer, goal = _row(numbers, "s2"), _row(numbers, "s4"), _row(numbers, "s1")
    assert (first["entered"], first["sent"], first["clicked"], first["unsubscribed"]) == (
        3,
        3,
        2,
        1,
    )
    assert (first["conversions"], first["earnings"]) == (1, {"USD": "30.00"})
    assert (offer["words"], offer["entered"], offer["sent"], offer["clicked"]) == (
        "Send 'The offer'",
        1,
        1,
        0,
    )
    assert goal["exited"] == 1
    totals = numbers["totals"]
    assert {
        k: totals[k]
        for k in (
            "enrolled",
            "finished",
            "exited",
            "exited_by_goal",
            "sent",
            "clicked",
            "unsubscribed",
            "conversions",
        )
    } == {
        "enrolled": 3,
        "finished": 1,
        "exited": 2,
        "exited_by_goal": 1,
        "sent": 4,
        "clicked": 2,
        "unsubscribed": 1,
        "conversions": 1,
    }
    assert totals["earnings_per_subscriber"] == {"USD": "10.00"}
    assert totals["exit_reasons"] == {"goal reached": 1, "unsubscribed": 1}
