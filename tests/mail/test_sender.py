"""Sending through a real SMTP server (aiosmtpd) that misbehaves on purpose: every message ends
sent, deferred or bounced, never lost; a drop after DATA is "maybe delivered"; connections are
reused; a dead server fails over to the next."""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import UTC, datetime

from evergreen.mail.rules.headers import parse_address
from evergreen.mail.rules.message import Outgoing, build_message
from evergreen.mail.rules.render import Personal, compile_message
from evergreen.mail.sending.sender import Delivery, Sender
from evergreen.mail.sending.servers import SmtpServer
from tests.mail.smtp_server import FaultyHandler, smtp_server

TEMPLATE = compile_message("Hello {{ subscriber.email }}", "Hi {{ subscriber.email }}")
SENDER = parse_address("from", "news@example.com")


def _outgoing(to: str) -> Outgoing:
    rendered = TEMPLATE.render(Personal(to))
    recipient = parse_address("to", to)
    return build_message(sender=SENDER, to=recipient, rendered=rendered, now=datetime.now(UTC))


def _send_all(servers: list[SmtpServer], addresses: list[str]) -> list[Delivery]:
    async def run() -> list[Delivery]:
        async with Sender(servers) as sender:
            return list(await asyncio.gather(*(sender.send(_outgoing(a)) for a in addresses)))

    return asyncio.run(run())


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_every_message_ends_sent_deferred_or_bounced() -> None:
    addresses = [
        "ok1@x.example", "temp@x.example", "hard@x.example", "datafail@x.example",
        "slow@x.example", "drop@x.example", "ok2@x.example",
    ]  # fmt: skip
    with smtp_server(FaultyHandler(slow_seconds=2.0)) as (handler, port):
        results = {d.recipient: d for d in _send_all([SmtpServer("127.0.0.1", port, timeout=1)],
                                                     addresses)}  # fmt: skip
    assert set(results) == set(addresses)  # nothing vanished
    outcome = {a: (d.outcome, d.code, d.maybe_delivered) for a, d in results.items()}
    assert outcome == {
        "ok1@x.example": ("sent", 250, False),
        "ok2@x.example": ("sent", 250, False),
        "temp@x.example": ("deferred", 451, False),
        "hard@x.example": ("bounced", 550, False),
        "datafail@x.example": ("bounced", 554, False),
        "slow@x.example": ("deferred", None, True),
        "drop@x.example": ("deferred", None, True),
    }
    assert "no such user" in results["hard@x.example"].text
    assert sorted(e.rcpt_tos[0] for e in handler.received) == ["ok1@x.example", "ok2@x.example"]


def test_connections_are_reused_and_a_dropped_one_is_replaced() -> None:
    with smtp_server() as (handler, port):
        server = SmtpServer("127.0.0.1", port, pool=2)

        async def run() -> list[Delivery]:
            async with Sender([server]) as sender:
                first = await asyncio.gather(*(sender.send(_outgoing(f"a{i}@x.example"))
                                               for i in range(20)))  # fmt: skip
                dropped = await sender.send(_outgoing("drop@x.example"))
                after = await asyncio.gather(*(sender.send(_outgoing(f"b{i}@x.example"))
                                               for i in range(5)))  # fmt: skip
                return [*first, dropped, *after]

        results = asyncio.run(run())
    assert [d.outcome for d in results].count("sent") == 25
    assert len(handler.received) == 25
    assert handler.sessions <= 4  # two connections, then one replacing the dropped one


def test_a_dead_server_fails_over_to_the_next_and_none_left_defers() -> None:
    dead = SmtpServer("127.0.0.1", _closed_port(), timeout=1)
    with smtp_server() as (handler, port):
        results = _send_all([dead, SmtpServer("127.0.0.1", port)], ["a@x.example"])
    assert results[0].outcome == "sent"
    assert results[0].server.endswith(str(port))
    assert len(handler.received) == 1
    (alone,) = _send_all([dead], ["a@x.example"])
    assert alone.outcome == "deferred"
    assert "cannot connect" in alone.text


def test_the_rate_limit_spaces_messages() -> None:
    with smtp_server() as (_, port):
        started = time.monotonic()
        results = _send_all([SmtpServer("127.0.0.1", port, rate=20)],
                            [f"r{i}@x.example" for i in range(11)])  # fmt: skip
        elapsed = time.monotonic() - started
    assert all(d.outcome == "sent" for d in results)
    assert elapsed >= 0.45  # 1 at once, then 10 more at 20 a second
