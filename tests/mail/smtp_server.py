"""A real SMTP server for the tests (aiosmtpd, in-process) that can misbehave on purpose."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from evergreen.config import Settings
from evergreen.mail.service import Outbox, outbox_from_settings
from tests.waiting import wait_for


@dataclass
class FaultyHandler:
    """Keeps every accepted message; answers by the recipient's local part:

    `temp…` 451 at RCPT, `hard…` 550 at RCPT, `datafail…` 554 after DATA, `slow…` sleeps past
    the client's timeout before answering DATA, `drop…` closes the connection mid-DATA (after
    the message arrived, before the answer), anything else is accepted; with `refuse_mail`, no
    sender is (451 at MAIL FROM). With `pipelining`, EHLO
    offers PIPELINING (RFC 2920; aiosmtpd reads commands in order either way), as postfix does;
    without `smtputf8`, EHLO does not offer SMTPUTF8 (an older server: ASCII addresses only).
    """

    received: list[Envelope] = field(default_factory=list)
    sessions: int = 0
    open: int = 0  # connections not yet lost
    live: set[SMTP] = field(default_factory=set)  # their sessions, closed when the server stops
    slow_seconds: float = 3.0
    pipelining: bool = False
    refuse_mail: bool = False  # 451 to every MAIL FROM (a server over its own limit)
    smtputf8: bool = True

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, options: list[str]) -> str:  # fmt: skip
        if self.refuse_mail:
            return "451 4.7.1 too many messages, slow down"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope,
                          hostname: str, responses: list[str]) -> list[str]:  # fmt: skip
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, options: list[str]) -> str:  # fmt: skip
        local = address.split("@")[0].lower()
        if local.startswith("temp"):
            return "451 4.3.0 try again later"
        if local.startswith("hard"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        local = envelope.rcpt_tos[0].split("@")[0].lower()
        if local.startswith("datafail"):
            return "554 5.7.1 message refused"
        if local.startswith("slow"):
            await asyncio.sleep(self.slow_seconds)
        if local.startswith("drop"):
            assert server.transport is not None
            server.transport.close()
            return "421 gone"
        self.received.append(envelope)
        return "250 2.0.0 queued"


class _Tracked(SMTP):
    """Counts its connection on the handler while it is open."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.transport is None:  # not the STARTTLS upgrade of one already counted
            self.event_handler.open += 1
            self.event_handler.live.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self.transport is not None:  # aiosmtpd may call it twice; it clears the transport
            self.event_handler.open -= 1
            self.event_handler.live.discard(self)
        super().connection_lost(error)


class _Counting(Controller):
    tls: ssl.SSLContext | None = None

    def factory(self) -> SMTP:
        handler: Any = self.handler
        handler.sessions += 1
        if self.tls is not None:  # STARTTLS offered and required before MAIL
            return _Tracked(
                handler,
                enable_SMTPUTF8=handler.smtputf8,
                tls_context=self.tls,
                require_starttls=True,
            )
        return _Tracked(handler, enable_SMTPUTF8=handler.smtputf8)


def all_closed(handler: FaultyHandler, seconds: float = 10) -> bool:
    """Wait until the server has lost every connection (a killed client's messages already in
    its buffer are handled by then); False when some are still open after `seconds`."""
    return wait_for(lambda: handler.open == 0, seconds, every=0.01)


@contextlib.contextmanager
def smtp_server(
    handler: FaultyHandler | None = None, tls: ssl.SSLContext | None = None
) -> Iterator[tuple[FaultyHandler, int]]:
    """Run the server on a free local port for the `with` block (with `tls`, STARTTLS)."""
    handler = handler or FaultyHandler()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = _Counting(handler, hostname="127.0.0.1", port=port)
    controller.tls = tls
    controller.start()
    try:
        yield handler, port
    finally:
        controller.loop.call_soon_threadsafe(_close_every_connection, handler)
        all_closed(handler, 5)
        controller.stop()


def _close_every_connection(handler: FaultyHandler) -> None:
    """Close what is still open, in the server's loop: aiosmtpd's stop leaves the sockets of
    connections whose end it has not read yet open, and the garbage collector then warns of
    them in whichever test runs (a client that had just quit, or one still connected)."""
    for session in list(handler.live):
        if session.transport is not None:
            session.transport.close()


def smtp_env(port: int, mail_from: str) -> dict[str, str]:
    """The settings that point an Evergreen process at this test server (no TLS, no auth)."""
    return {
        "EVERGREEN_SMTP_HOST": "127.0.0.1",
        "EVERGREEN_SMTP_PORT": str(port),
        "EVERGREEN_SMTP_STARTTLS": "false",
        "EVERGREEN_MAIL_FROM": mail_from,
    }


SITE = "http://127.0.0.1:8000"


def mail_settings(tmp_path: Path, port: int, sender: str = "News <news@example.com>") -> Settings:
    """Settings that send to a test SMTP server on `port` (no TLS), with a postal address."""
    return Settings(
        env="test",
        data_dir=tmp_path / "data",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        mail_from=sender,
        mail_postal_address="1 Main St\nSpringfield",
    )


def outbox_for(tmp_path: Path, port: int, secret: str, site: str = SITE) -> Outbox:
    """The mail outbox that sends to a test SMTP server on `port`."""
    return outbox_from_settings(mail_settings(tmp_path, port), secret, site)
