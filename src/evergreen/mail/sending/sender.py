"""The async sender: a few open connections per server, a rate limit per server, failover.

Every message ends in one of four outcomes, never none:

- sent: the server answered 250 to the end of DATA.
- bounced: the server refused the recipient or the message with a 5xx (code and text kept).
- deferred: a 4xx, a timeout, a dropped connection, or every server unreachable; the caller
  tries again on the retry schedule (`rules.retry`).
- failed: it cannot be sent, now or later: a non-ASCII address (`ü@example.com`) where no
  server offers SMTPUTF8, or an unexpected error in this one message (logged with its
  traceback). The next message is sent as usual: one message never stops the others.

An address outside ASCII goes with SMTPUTF8 (RFC 6531) on a server that offers it; a server
that does not is passed over for the next one, and the message fails when none offers it.

A connection lost or timed out after the message's DATA was sent but before the server's
answer is `deferred` with `maybe_delivered` set: the server may already have it. It is sent
again on retry (at-least-once: a person may get it twice, with the same Message-ID, which mail
clients fold) and the count of such messages is reported, rather than silently sending it again
or silently dropping it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import aiosmtplib

from evergreen.mail.rules.message import Outgoing
from evergreen.mail.rules.ratelimit import Bucket, take
from evergreen.mail.sending.pipeline import Broken, pipelined
from evergreen.mail.sending.servers import SmtpServer

__all__ = ["NO_SMTPUTF8", "PLAIN_ADDRESS", "Delivery", "Outcome", "Sender"]

Outcome = Literal["sent", "deferred", "bounced", "failed"]
NO_SMTPUTF8 = "the mail server does not accept non-ASCII addresses (no SMTPUTF8)"
log = logging.getLogger(__name__)

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
# An address aiosmtplib would send as written (its parser, email.utils, takes ~0.06 ms each).
PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\Z")


async def _envelope(
    client: aiosmtplib.SMTP, verb: Literal["MAIL", "RCPT"], address: str, *, utf8: bool = False
) -> None:
    """MAIL FROM or RCPT TO, refused as aiosmtplib refuses them; a plain address is put on the
    command line as it is, the rest go through aiosmtplib's own parsing (`utf8`: the
    transaction is SMTPUTF8, announced on MAIL FROM)."""
    if utf8:
        if verb == "MAIL":
            await client.mail(address, options=["SMTPUTF8"], encoding="utf-8")
        else:
            await client.rcpt(address, encoding="utf-8")
        return
    if client.is_ehlo_or_helo_needed or not PLAIN_ADDRESS.match(address):
        await (client.mail(address) if verb == "MAIL" else client.rcpt(address))
        return
    quoted = b"<" + address.encode("ascii") + b">"
    if verb == "MAIL":
        response = await client.execute_command(b"MAIL", b"FROM:" + quoted)
        if response.code != 250:
            raise aiosmtplib.SMTPSenderRefused(response.code, response.message, address)
        return
    response = await client.execute_command(b"RCPT", b"TO:" + quoted)
    if response.code not in (250, 251):
        raise aiosmtplib.SMTPRecipientRefused(response.code, response.message, address)


@dataclass(frozen=True)
class Delivery:
    """What happened to one message for one recipient."""

    recipient: str
    outcome: Outcome
    code: int | None = None
    text: str = ""
    server: str = ""
    maybe_delivered: bool = False


class _NoSmtpUtf8(Exception):
    """This server cannot take a non-ASCII address; nothing was sent, the connection is fine."""


class _Unreachable(Exception):
    """This server cannot take the message now (connect, login, 4xx or 5xx before RCPT)."""

    def __init__(self, text: str, code: int | None = None) -> None:
        super().__init__(text)
        self.code = code


@dataclass
class _Server:
    """One server's pool of idle connections, its open count and its rate bucket."""

    config: SmtpServer
    idle: list[aiosmtplib.SMTP] = field(default_factory=list)
    open: int = 0
    bucket: Bucket = field(default_factory=lambda: Bucket(1.0, time.monotonic()))
    slots: asyncio.Semaphore | None = None

    def semaphore(self) -> asyncio.Semaphore:
        if self.slots is None:
            self.slots = asyncio.Semaphore(self.config.pool)
        return self.slots


def _text(exc: BaseException) -> str:
    """The server's words (or the error's), on one line, not too long."""
    return " ".join(str(getattr(exc, "message", "") or exc).split())[:500]


class Sender:
    """Send messages through the configured servers; use `async with` or call `close()`."""

    def __init__(self, servers: Sequence[SmtpServer]) -> None:
        if not servers:
            raise ValueError("a sender needs at least one server")
        self._servers = [_Server(server) for server in servers]

    async def __aenter__(self) -> Sender:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Say QUIT on every idle connection."""
        for server in self._servers:
            idle, server.idle = server.idle, []
            for client in idle:
                try:
                    with contextlib.suppress(Exception):
                        await client.quit()
                finally:
                    client.close()  # a QUIT refused or unanswered left the socket open

    async def send(self, outgoing: Outgoing, data: bytes | None = None) -> Delivery:
        """Send one message (its bytes, e.g. DKIM-signed, or as built); never raises but for
        cancellation: a caller sending many must get an outcome for every one."""
        try:
            return await self._send(outgoing, data)
        except Exception as exc:  # a bug in one message must not stop the others
            log.exception("sending to %r failed", outgoing.recipient)
            text = " ".join(f"could not be sent ({type(exc).__name__}: {exc})".split())
            return Delivery(outgoing.recipient, "failed", None, text[:500])

    async def _send(self, outgoing: Outgoing, data: bytes | None) -> Delivery:
        payload = data if data is not None else outgoing.as_bytes()
        reasons = []
        unable = []  # servers reached that do not offer SMTPUTF8
        for server in self._servers:
            try:
                return await self._send_on(server, outgoing, payload)
            except _Unreachable as exc:
                reasons.append(f"{server.config.label}: {exc}")
            except _NoSmtpUtf8:
                unable.append(server.config.label)
        if not reasons:  # every server answered, none can: it never will be sent as it is
            return Delivery(outgoing.recipient, "failed", None, NO_SMTPUTF8, unable[-1])
        reasons += [f"{label}: {NO_SMTPUTF8}" for label in unable]
        return Delivery(outgoing.recipient, "deferred", None, "; ".join(reasons)[:1000])

    async def _wait_for_rate(self, server: _Server) -> None:
        rate = server.config.rate
        server.bucket, wait = take(server.bucket, time.monotonic(), rate, max(rate, 1.0))
        if wait > 0:
            await asyncio.sleep(wait)

    async def _connect(self, server: _Server) -> aiosmtplib.SMTP:
        config = server.config
        client = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            timeout=config.timeout,
            use_tls=config.security == "tls",
            start_tls=None if config.security == "offered" else config.security == "starttls",
            username=config.username or None,
            password=config.password or None,
        )
        try:
            try:
                await client.connect()
                if client.is_ehlo_or_helo_needed:  # what the server offers (PIPELINING) is known
                    await client.ehlo()
            except aiosmtplib.SMTPHeloError:
                await _helo(client)
            except aiosmtplib.SMTPResponseException as exc:
                raise _Unreachable(_text(exc), exc.code) from None
            except (aiosmtplib.SMTPException, OSError) as exc:
                raise _Unreachable(f"cannot connect: {_text(exc)}") from None
        except BaseException:
            client.close()  # connected, then refused or timed out at EHLO or HELO: not pooled
            raise
        return client

    async def _client(self, server: _Server) -> aiosmtplib.SMTP:
        while server.idle:
            client = server.idle.pop()
            if client.is_connected:
                return client
        return await self._connect(server)

    async def _send_on(self, server: _Server, outgoing: Outgoing, payload: bytes) -> Delivery:
        async with server.semaphore():
            await self._wait_for_rate(server)
            for fresh_try in (False, True):
                client = (
                    await self._client(server) if not fresh_try else await self._connect(server)
                )
                try:
                    delivery = await self._transaction(client, server, outgoing, payload)
                except _StaleConnection:
                    client.close()
                    continue  # an idle connection the server had closed: nothing was sent
                except _NoSmtpUtf8:
                    server.idle.append(client)  # nothing was sent: fine for the next message
                    raise
                except BaseException:
                    client.close()
                    raise
                if client.is_connected and delivery.outcome != "deferred":
                    server.idle.append(client)
                else:
                    client.close()
                return delivery
        raise _Unreachable("the connection dropped twice before MAIL FROM")

    async def _transaction(
        self, client: aiosmtplib.SMTP, server: _Server, outgoing: Outgoing, payload: bytes
    ) -> Delivery:
        label = server.config.label
        recipient = outgoing.recipient
        utf8 = not (outgoing.envelope_from.isascii() and recipient.isascii())
        if utf8 and not client.is_ehlo_or_helo_needed and not client.supports_extension("smtputf8"):
            raise _NoSmtpUtf8
        if (
            client.supports_extension("pipelining")
            and PLAIN_ADDRESS.match(outgoing.envelope_from)
            and PLAIN_ADDRESS.match(recipient)
        ):
            return await self._pipelined(client, server, outgoing, payload)
        try:
            await _envelope(client, "MAIL", outgoing.envelope_from, utf8=utf8)
        except aiosmtplib.SMTPServerDisconnected:
            raise _StaleConnection from None
        except aiosmtplib.SMTPResponseException as exc:
            await _reset(client)
            raise _Unreachable(_text(exc), exc.code) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise _Unreachable(_text(exc)) from None
        try:
            await _envelope(client, "RCPT", recipient, utf8=utf8)
        except aiosmtplib.SMTPResponseException as exc:
            await _reset(client)
            outcome: Outcome = "bounced" if exc.code >= 500 else "deferred"
            return Delivery(recipient, outcome, exc.code, _text(exc), label)
        except (aiosmtplib.SMTPException, OSError) as exc:
            return Delivery(recipient, "deferred", None, _text(exc), label)
        try:
            response = await client.data(payload)
        except aiosmtplib.SMTPResponseException as exc:
            await _reset(client)
            outcome = "bounced" if exc.code >= 500 else "deferred"
            return Delivery(recipient, outcome, exc.code, _text(exc), label)
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Lost after the message went out: the server may have it (see the module's note).
            return Delivery(recipient, "deferred", None, _text(exc), label, maybe_delivered=True)
        return Delivery(recipient, "sent", response.code, " ".join(response.message.split()), label)

    async def _pipelined(
        self, client: aiosmtplib.SMTP, server: _Server, outgoing: Outgoing, payload: bytes
    ) -> Delivery:
        """The transaction of `_transaction`, with the same outcomes, in two round trips."""
        label = server.config.label
        recipient = outgoing.recipient
        try:
            stage, reply = await pipelined(
                client,
                b"<" + outgoing.envelope_from.encode("ascii") + b">",
                b"<" + recipient.encode("ascii") + b">",
                payload,
                server.config.timeout,
            )
        except Broken as exc:
            if exc.stage == "mail":  # nothing answered yet: as a refusal before RCPT
                if exc.timed_out:
                    raise _Unreachable(_text(exc)) from None
                raise _StaleConnection from None
            # Lost after the message went out: the server may have it (see the module's note).
            maybe = exc.stage == "message"
            return Delivery(recipient, "deferred", None, _text(exc), label, maybe_delivered=maybe)
        text = " ".join(reply.text.split())[:500]
        if stage == "mail":
            raise _Unreachable(text, reply.code)
        if stage != "message" or reply.code != 250:
            outcome: Outcome = "bounced" if reply.code >= 500 else "deferred"
            return Delivery(recipient, outcome, reply.code, text, label)
        return Delivery(recipient, "sent", reply.code, text, label)


class _StaleConnection(Exception):
    """An idle connection was gone before anything was sent on it."""


async def _helo(client: aiosmtplib.SMTP) -> None:
    """HELO where EHLO was refused (an old server: nothing pipelined)."""
    try:
        await client.helo()
    except aiosmtplib.SMTPResponseException as exc:
        raise _Unreachable(_text(exc), exc.code) from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise _Unreachable(f"cannot connect: {_text(exc)}") from None


async def _reset(client: aiosmtplib.SMTP) -> None:
    """RSET after a refusal so that the connection can carry the next message."""
    with contextlib.suppress(aiosmtplib.SMTPException, OSError):
        await client.rset()
