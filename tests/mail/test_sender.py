"""Sending through a real SMTP server (aiosmtpd) that misbehaves on purpose: every message ends
sent, deferred or bounced, never lost; a drop after DATA is "maybe delivered"; connections are
reused; a dead server fails over to the next."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from evergreen.mail.rules.headers import parse_address
from evergreen.mail.rules.message import Outgoing, build_message
from evergreen.mail.rules.render import Personal, compile_message
from evergreen.mail.sending import sender as sender_module
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


# Both ways of sending: one command at a time, and pipelined where the server offers it.
PIPELINING = pytest.mark.parametrize("pipelining", [False, True], ids=["serial", "pipelined"])


@PIPELINING
def test_every_message_ends_sent_deferred_or_bounced(pipelining: bool) -> None:
    addresses = [
        "ok1@x.example", "temp@x.example", "hard@x.example", "datafail@x.example",
        "slow@x.example", "drop@x.example", "ok2@x.example",
    ]  # fmt: skip
    handler = FaultyHandler(slow_seconds=2.0, pipelining=pipelining)
    with smtp_server(handler) as (handler, port):
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


@PIPELINING
def test_connections_are_reused_and_a_dropped_one_is_replaced(pipelining: bool) -> None:
    with smtp_server(FaultyHandler(pipelining=pipelining)) as (handler, port):
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


@PIPELINING
def test_a_refused_recipient_leaves_the_connection_ready_for_the_next(pipelining: bool) -> None:
    with smtp_server(FaultyHandler(pipelining=pipelining)) as (handler, port):
        server = SmtpServer("127.0.0.1", port, pool=1)

        async def run() -> list[Delivery]:
            async with Sender([server]) as sender:
                order = ["hard@x.example", "ok1@x.example", "temp@x.example", "datafail@x.example",
                         "ok2@x.example"]  # fmt: skip
                return [await sender.send(_outgoing(a)) for a in order]

        results = asyncio.run(run())
    assert [(d.outcome, d.code) for d in results] == [
        ("bounced", 550), ("sent", 250), ("deferred", 451), ("bounced", 554), ("sent", 250),
    ]  # fmt: skip
    assert (
        handler.sessions == 3
    )  # the controller's start-up check, then one before the 451, one after
    assert [e.rcpt_tos for e in handler.received] == [["ok1@x.example"], ["ok2@x.example"]]


@PIPELINING
def test_a_server_refusing_the_sender_fails_over_to_the_next(pipelining: bool) -> None:
    busy = FaultyHandler(pipelining=pipelining, refuse_mail=True)
    with smtp_server(busy) as (_, busy_port), smtp_server() as (handler, port):
        servers = [SmtpServer("127.0.0.1", busy_port), SmtpServer("127.0.0.1", port)]
        results = _send_all(servers, ["a@x.example", "b@x.example"])
        (alone,) = _send_all(servers[:1], ["c@x.example"])
    assert [(d.outcome, d.server) for d in results] == [("sent", f"127.0.0.1:{port}")] * 2
    assert len(handler.received) == 2
    assert (alone.outcome, alone.code) == ("deferred", None)
    assert alone.text == f"127.0.0.1:{busy_port}: 4.7.1 too many messages, slow down"
    assert not busy.received


@PIPELINING
def test_a_dead_server_fails_over_to_the_next_and_none_left_defers(pipelining: bool) -> None:
    dead = SmtpServer("127.0.0.1", _closed_port(), timeout=1)
    with smtp_server(FaultyHandler(pipelining=pipelining)) as (handler, port):
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


def test_a_server_offering_pipelining_gets_the_commands_before_any_reply() -> None:
    """A bare server that answers nothing until it has read MAIL, RCPT and DATA: only a
    pipelining client gets past it (one waiting for each reply times out), and the message
    arrives dot-stuffed, ending in the lone dot."""
    seen: dict[str, bytes] = {}

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 bare ESMTP\r\n")
        await reader.readline()  # EHLO
        writer.write(b"250-bare\r\n250-PIPELINING\r\n250 HELP\r\n")
        seen["group"] = await asyncio.wait_for(reader.readuntil(b"DATA\r\n"), 5)
        writer.write(b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go ahead\r\n")
        seen["data"] = await reader.readuntil(b"\r\n.\r\n")
        writer.write(b"250 2.0.0 queued as 7\r\n")
        await writer.drain()
        if await reader.readline() == b"QUIT\r\n":
            writer.write(b"221 bye\r\n")
        writer.close()

    async def run() -> Delivery:
        bare = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = bare.sockets[0].getsockname()[1]
        async with bare, Sender([SmtpServer("127.0.0.1", port, timeout=2)]) as sender:
            return await sender.send(_outgoing("reader@x.example"), b"Subject: x\r\n\r\n.dot\r\n")

    delivery = asyncio.run(run())
    assert (delivery.outcome, delivery.code, delivery.text) == ("sent", 250, "2.0.0 queued as 7")
    assert seen["group"] == (
        b"MAIL FROM:<news@example.com>\r\nRCPT TO:<reader@x.example>\r\nDATA\r\n"
    )
    assert seen["data"] == b"Subject: x\r\n\r\n..dot\r\n.\r\n"


@pytest.mark.parametrize("refused", ["EHLO", "QUIT"])
def test_a_connection_the_server_refuses_is_closed_at_once(refused: str) -> None:
    """A server refusing EHLO and HELO, or QUIT, sees the connection end before the event loop
    does: the socket was closed, not left open until the garbage collector warns of it."""
    ended = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 bare ESMTP\r\n")
        while line := await reader.readline():
            verb = line[:4].upper().decode()
            if verb in ("EHLO", "HELO"):
                writer.write(b"554 5.7.1 not you\r\n" if refused == "EHLO" else b"250 bare\r\n")
            elif verb == "DATA":
                writer.write(b"354 go ahead\r\n")
                await reader.readuntil(b"\r\n.\r\n")
                writer.write(b"250 2.0.0 queued\r\n")
            else:
                writer.write(b"500 5.5.1 not now\r\n" if verb == "QUIT" else b"250 ok\r\n")
        ended.set()
        writer.close()

    async def run() -> tuple[Delivery, bool]:
        bare = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = bare.sockets[0].getsockname()[1]
        async with bare:
            # Security "never": the library connects without an EHLO of its own; the sender's
            # EHLO, then HELO, are refused after the connection was made.
            server = SmtpServer("127.0.0.1", port, security="never", timeout=2)
            async with Sender([server]) as sender:
                delivery = await sender.send(_outgoing("reader@x.example"))
                if refused == "EHLO":
                    return delivery, await _within(ended, 2)
            return delivery, await _within(ended, 2)

    delivery, closed = asyncio.run(run())
    assert delivery.outcome == ("deferred" if refused == "EHLO" else "sent")
    assert closed


async def _within(event: asyncio.Event, seconds: float) -> bool:
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except TimeoutError:
        return False
    return True


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as files (the server's, and the trust)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@PIPELINING
def test_messages_go_over_starttls_both_ways(
    pipelining: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server requires STARTTLS before MAIL: a transaction pipelined over the encrypted
    transport (the one production servers such as SES and Postmark offer) ends as a serial one."""
    cert_file, key_file = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # the client trusts this server alone
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert_file, key_file)
    handler = FaultyHandler(pipelining=pipelining)
    with smtp_server(handler, tls=tls) as (handler, port):
        server = SmtpServer("127.0.0.1", port, security="starttls", pool=1)
        results = _send_all([server], ["ok1@x.example", "hard@x.example", "ok2@x.example"])
    assert [(d.outcome, d.code) for d in results] == [
        ("sent", 250),
        ("bounced", 550),
        ("sent", 250),
    ]
    assert sorted(e.rcpt_tos[0] for e in handler.received) == ["ok1@x.example", "ok2@x.example"]
    assert handler.sessions == 2  # the controller's own check, then one connection for all three


@PIPELINING
def test_a_non_ascii_address_goes_with_smtputf8_where_the_server_offers_it(
    pipelining: bool,
) -> None:
    with smtp_server(FaultyHandler(pipelining=pipelining)) as (handler, port):
        results = _send_all([SmtpServer("127.0.0.1", port)], ["ü@x.example", "ok@x.example"])
    assert [(d.recipient, d.outcome) for d in results] == [
        ("ü@x.example", "sent"), ("ok@x.example", "sent"),
    ]  # fmt: skip
    options = {e.rcpt_tos[0]: e.mail_options for e in handler.received}
    assert options == {"ü@x.example": ["SMTPUTF8"], "ok@x.example": []}


@PIPELINING
def test_a_non_ascii_address_fails_for_good_where_no_server_offers_smtputf8(
    pipelining: bool,
) -> None:
    old = FaultyHandler(pipelining=pipelining, smtputf8=False)
    with smtp_server(old) as (_, old_port), smtp_server() as (handler, port):
        servers = [SmtpServer("127.0.0.1", old_port, pool=1)]
        alone = _send_all(servers, ["ok1@x.example", "ü@x.example", "ok2@x.example"])
        sessions = old.sessions
        (moved,) = _send_all([*servers, SmtpServer("127.0.0.1", port)], ["é@x.example"])
    assert [(d.outcome, d.code) for d in alone] == [("sent", 250), ("failed", None),
                                                    ("sent", 250)]  # fmt: skip
    assert "does not accept non-ASCII addresses (no SMTPUTF8)" in alone[1].text
    assert sorted(e.rcpt_tos[0] for e in old.received) == ["ok1@x.example", "ok2@x.example"]
    assert sessions == 2  # the start-up check, then one connection for all three
    assert (moved.outcome, moved.server) == ("sent", f"127.0.0.1:{port}")  # the next one can
    assert [e.rcpt_tos for e in handler.received] == [["é@x.example"]]


def test_an_unexpected_error_fails_that_message_and_not_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = sender_module._envelope

    async def broken(client: object, verb: str, address: str, *, utf8: bool = False) -> None:
        if address.startswith("bug"):
            raise RuntimeError("a bug in one message")
        await real(client, verb, address, utf8=utf8)  # type: ignore[arg-type]

    monkeypatch.setattr(sender_module, "_envelope", broken)
    with smtp_server() as (handler, port):
        results = _send_all([SmtpServer("127.0.0.1", port, pool=1)],
                            ["ok1@x.example", "bug@x.example", "ok2@x.example"])  # fmt: skip
    assert [d.outcome for d in results] == ["sent", "failed", "sent"]
    assert results[1].text == "could not be sent (RuntimeError: a bug in one message)"
    assert sorted(e.rcpt_tos[0] for e in handler.received) == ["ok1@x.example", "ok2@x.example"]
