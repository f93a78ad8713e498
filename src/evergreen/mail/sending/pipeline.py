"""SMTP transactions pipelined (RFC 2920) on a connection aiosmtplib opened.

aiosmtplib does what a session needs once (greeting, EHLO, STARTTLS, AUTH) and sends one command
at a time, reading one reply per command: four round trips a message (MAIL, RCPT, DATA, the
message). Where the server offers PIPELINING, the sender borrows the connection's transport for
each transaction with this protocol, which writes MAIL, RCPT and DATA at once and reads every
reply in order: two round trips a message (the command group, then the message after 354).
The transport is given back to aiosmtplib's protocol after each transaction, so QUIT, RSET and
addresses that need aiosmtplib's quoting go through the library as before.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from typing import Literal, NamedTuple, cast

import aiosmtplib

__all__ = ["Broken", "Ended", "Reply", "pipelined", "wire_message"]

Stage = Literal["mail", "rcpt", "data", "message"]

_MAX_LINE = 8192  # a reply line longer than this is not SMTP (RFC 5321 allows 512)
_MAX_LINES = 100
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


class Reply(NamedTuple):
    """One reply of the server: its code and its text (lines joined by a newline)."""

    code: int
    text: str


class Ended(NamedTuple):
    """Where a transaction ended and the reply there: "message" with 250 is sent."""

    stage: Stage
    reply: Reply


def wire_message(payload: bytes) -> bytes:
    """The message as DATA carries it: CRLF line ends, leading dots doubled, the final dot."""
    crlf = payload.count(b"\r\n")
    if payload.count(b"\n") != crlf or payload.count(b"\r") != crlf:
        payload = re.sub(rb"\r\n|\r|\n", b"\r\n", payload)
    if payload.startswith(b".") or b"\n." in payload:
        payload = _LEADING_DOT.sub(b"..", payload)
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    return payload + b".\r\n"


class _Pipe(asyncio.Protocol):
    """Reads replies in order and hands each to the oldest command still waiting for one."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.waiting: deque[asyncio.Future[Reply]] = deque()
        self.buffer = bytearray()
        self.lines: list[bytes] = []
        self.lost: Exception | None = None

    def expect(self, count: int) -> list[asyncio.Future[Reply]]:
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in range(count)]
        if self.lost is not None:
            for future in futures:
                future.set_exception(self.lost)
        else:
            self.waiting.extend(futures)
        return futures

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        start = 0
        while (end := buffer.find(b"\n", start)) >= 0:
            line = bytes(buffer[start : end + 1])
            start = end + 1
            self.lines.append(line)
            if line[3:4] == b"-" and len(self.lines) < _MAX_LINES:
                continue
            self._reply(self.lines)
            self.lines = []
        del buffer[:start]
        if len(buffer) > _MAX_LINE:
            self._fail(aiosmtplib.SMTPResponseException(-1, "a reply line too long"))

    def _reply(self, lines: list[bytes]) -> None:
        try:
            code = int(lines[0][:3])
        except ValueError:
            self._fail(aiosmtplib.SMTPResponseException(-1, "a malformed reply"))
            return
        text = "\n".join(line[4:].strip().decode("utf-8", "replace") for line in lines)
        if not self.waiting:
            self._fail(aiosmtplib.SMTPResponseException(code, "a reply nobody asked for"))
            return
        future = self.waiting.popleft()
        if not future.done():
            future.set_result(Reply(code, text))

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(aiosmtplib.SMTPServerDisconnected(f"connection lost: {exc or 'closed'}"))

    def eof_received(self) -> bool:
        self._fail(aiosmtplib.SMTPServerDisconnected("the server closed the connection"))
        return False

    def _fail(self, exc: Exception) -> None:
        self.lost = exc
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(exc)
                future.exception()  # retrieved: nobody may await a later command's reply
        self.transport.close()


async def pipelined(
    client: aiosmtplib.SMTP, envelope_from: bytes, recipient: bytes, payload: bytes, timeout: float
) -> Ended:
    """One transaction for one recipient, its commands pipelined; the connection is the
    library's again afterwards (closed where the server broke it off). Addresses come quoted
    (`<…>`); the payload is the message as built (see `wire_message`). Raises `Broken` for a
    lost connection or a timeout, naming the stage it had reached."""
    transport = cast(asyncio.Transport, client.transport)
    own = transport.get_protocol()
    pipe = _Pipe(transport)
    transport.set_protocol(pipe)
    stage: Stage = "mail"
    try:
        if transport.is_closing():
            raise aiosmtplib.SMTPServerDisconnected("the connection was closed")
        async with asyncio.timeout(timeout):
            mail, rcpt, data = pipe.expect(3)
            transport.write(
                b"MAIL FROM:" + envelope_from + b"\r\nRCPT TO:" + recipient + b"\r\nDATA\r\n"
            )
            mailed = await mail
            if mailed.code != 250:  # the server refuses this sender now: the caller tries another
                transport.close()  # without waiting for the RCPT and DATA replies still due
                return Ended("mail", mailed)
            stage = "rcpt"
            accepted = await rcpt
            stage = "data"
            started = await data
            if accepted.code not in (250, 251) or started.code != 354:
                ended = (
                    Ended("rcpt", accepted)
                    if accepted.code not in (250, 251)
                    else Ended("data", started)
                )
                # A server that took DATA all the same gets an empty message to end it.
                end = b".\r\nRSET\r\n" if started.code == 354 else b"RSET\r\n"
                answers = pipe.expect(2 if started.code == 354 else 1)
                transport.write(end)
                for answer in answers:
                    await answer
                return ended
        stage = "message"
        async with asyncio.timeout(timeout):  # the message's own time, as each step's serially
            (done,) = pipe.expect(1)
            transport.write(wire_message(payload))
            sent = await done
        return Ended("message", sent)
    except TimeoutError:
        transport.close()
        raise Broken(stage, f"no answer within {timeout:g} s", timed_out=True) from None
    except aiosmtplib.SMTPException as exc:
        transport.close()
        raise Broken(stage, str(exc)) from None
    except BaseException:  # cancelled with replies still due: the connection cannot go on
        transport.close()
        raise
    finally:
        if not transport.is_closing():
            transport.set_protocol(own)


class Broken(Exception):
    """The connection was lost or timed out at `stage` of a pipelined transaction."""

    def __init__(self, stage: Stage, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.stage = stage
        self.timed_out = timed_out
