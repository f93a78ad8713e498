"""The HTTP protocol every web process runs: uvicorn's httptools protocol, with the front doors'
answers that need no waiting (a cached link's redirect) written without running the app.

uvicorn gives every request a cycle object, an event, an ASGI task and two awaited sends; a
redirect decided from memory needs none of them. Here a request that a front door can answer at
once (`FrontDoor.answer_now`) is decided when its headers are parsed, and its answer queued; the
queue is written out once a turn of the event loop, after every readable connection was read and
after the doors kept what the answers promise (`FrontDoor.commit`: the clicks spooled in one
write). Writing a turn's answers together matters as much as the Python saved: an answer written
the moment its request is read wakes the client for each one, while a turn's answers written in
a row mostly find it awake already. benchmarks/redirect.py measures the whole.

Everything else stays uvicorn's: parsing, every request a door cannot answer at once, upgrades,
flow control, shutdown. Keep-alive and pipelining keep its rules: a connection's next request
waits for its previous answer (uvicorn queues it while a stand-in cycle says "not complete"),
HTTP/1.0 and `Connection: close` close after the answer, HEAD gets no body, and the keep-alive
timer is armed as uvicorn arms it. The stand-in carries just the state uvicorn's own callbacks
read and write on a cycle (tests/web/test_protocol_http.py drives a real server through each case).
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from typing import Any
from weakref import WeakKeyDictionary

import httptools
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

from evergreen.areas import DoorResponse, FrontDoor

__all__ = ["FrontDoorProtocol"]

log = logging.getLogger(__name__)
_FAILED = b"Internal Server Error"
_FAILED_HEADERS = [(b"content-type", b"text/plain; charset=utf-8")]
_KEEP = (b"GET", b"HEAD")  # methods a door may answer at once: nothing to read after the head


class _Event:
    """What uvicorn sets on a cycle's event; nothing waits on a stand-in's."""

    def set(self) -> None:
        """Nothing to wake."""


class _Decided:
    """Stands in for uvicorn's cycle while a front door's answer waits in the outbox, so that
    uvicorn queues the connection's next request behind it and its callbacks find what they
    expect (a body sent with a GET is dropped: the door never reads one)."""

    __slots__ = ("disconnected", "keep_alive", "more_body", "response_complete")
    message_event = _Event()

    def __init__(self, keep_alive: bool) -> None:
        self.keep_alive = keep_alive
        self.response_complete = False
        self.disconnected = False
        self.more_body = True

    @property
    def body(self) -> bytearray:
        """Always empty: uvicorn's on_body appends to what it reads here, and it is dropped."""
        return bytearray()

    @body.setter
    def body(self, _value: bytearray) -> None:
        """Keep nothing."""


def _head(status: int, defaults: list[tuple[bytes, bytes]], headers: list[tuple[bytes, bytes]],
          body: bytes, keep_alive: bool) -> bytes | None:  # fmt: skip
    """The status line and headers, with the body's length; None for a header that would break
    the response (a line break in a value), which uvicorn's path then refuses with a 500."""
    lines = [name + b": " + value + b"\r\n" for name, value in headers if name != b"content-length"]
    own = b"".join(lines)
    if own.count(b"\n") != len(lines) or own.count(b"\r") != len(lines):  # one ending each
        return None
    parts = [STATUS_LINE[status]]
    parts += [name + b": " + value + b"\r\n" for name, value in defaults]  # the date
    parts += (own, b"content-length: %d\r\n" % len(body))
    parts.append(b"\r\n" if keep_alive else b"connection: close\r\n\r\n")
    return b"".join(parts)


class _Outbox:
    """The answers decided in this turn of the event loop, written at its end, in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiting: list[tuple[FrontDoorProtocol, _Decided, bytes]] = []
        self.doors: list[tuple[FrontDoor, ...]] = []  # whose answers wait (one app, usually)

    def add(self, doors: tuple[FrontDoor, ...], sender: FrontDoorProtocol, decided: _Decided,
            data: bytes) -> None:  # fmt: skip
        if not self.waiting:
            self.loop.call_soon(self.flush)
        if doors not in self.doors:
            self.doors.append(doors)
        self.waiting.append((sender, decided, data))

    def flush(self) -> None:
        """Keep what the answers promise, then write each; a request that waited behind one
        (pipelined) and is answered at once joins this same flush."""
        waiting = self.waiting
        at = 0
        while at < len(waiting):
            for doors in self.doors:
                for door in doors:
                    _commit(door)
            self.doors.clear()
            end = len(waiting)
            while at < end:
                sender, decided, data = waiting[at]
                at += 1
                sender.send_decided(decided, data)
        waiting.clear()


def _commit(door: FrontDoor) -> None:
    try:
        door.commit()
    except Exception:  # a door keeps what it can itself (clicks wait in memory): still answer
        log.exception("a front door could not keep what its answers promise")


_outboxes: WeakKeyDictionary[asyncio.AbstractEventLoop, _Outbox] = WeakKeyDictionary()


class FrontDoorProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol; a front door's immediate answer skips the app, and an idle
    connection is closed by one timer that moves on, not a timer made and cancelled a request."""

    idle_since: float | None = None  # when the last answer went out; None while one is awaited

    # uvicorn arms a fresh keep-alive timer after every answer and cancels it at the next
    # request's first bytes: ~1-5 µs a request in uvloop. Here a connection holds at most one,
    # armed when it goes idle with none pending; when it fires it closes the connection if it
    # has been idle the whole timeout, else comes back when it would have been.
    def _unset_keepalive_if_required(self) -> None:
        self.idle_since = None

    def on_response_complete(self) -> None:
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        self.idle_since = self.loop.time()
        if self.timeout_keep_alive_task is None:
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self._idle_check
            )

    def _idle_check(self) -> None:
        self.timeout_keep_alive_task = None
        if self.idle_since is None:
            return  # a request under way: its answer arms the timer again
        idle = self.loop.time() - self.idle_since
        if idle >= self.timeout_keep_alive:
            self.timeout_keep_alive_handler()
        else:
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive - idle, self._idle_check
            )

    def on_headers_complete(self) -> None:
        if not self._answer_at_once():
            super().on_headers_complete()

    def _answer_at_once(self) -> bool:
        """Queue a front door's answer to the request just read; False leaves it to uvicorn."""
        doors: tuple[FrontDoor, ...] = getattr(self.app, "front_doors", ())
        cycle: object = self.cycle  # uvicorn's, or a stand-in while an answer waits
        parser = self.parser
        if (
            not doors
            # An answer of the app's still to come: this one waits its turn in uvicorn's queue.
            # (One still in the outbox is fine: the outbox writes in order.)
            or (isinstance(cycle, RequestResponseCycle) and not cycle.response_complete)
            or self.flow.write_paused
            or self.limit_concurrency is not None  # uvicorn's 503 past its limit decides first
            or parser.should_upgrade()
        ):
            return False
        method = parser.get_method()
        if method not in _KEEP:
            return False
        scope = self.scope
        http_version = parser.get_http_version()
        scope["method"] = method.decode("ascii")
        if http_version != "1.1":
            scope["http_version"] = http_version
        try:
            parsed = httptools.parse_url(self.url)
        except httptools.HttpParserInvalidURLError:
            return False  # uvicorn answers it as it always has
        raw_path = parsed.path
        path = raw_path.decode("ascii")
        if "%" in path:
            path = urllib.parse.unquote(path)
        scope["path"] = self.root_path + path
        scope["raw_path"] = self.root_path.encode("ascii") + raw_path
        scope["query_string"] = parsed.query or b""
        try:
            response = _answer_now(doors, scope)
        except Exception:  # a door answers its own failures; this one goes the usual way
            log.exception("a front door failed to answer at once")
            return False
        if response is None:
            return False
        status, headers, body = response
        keep_alive = http_version != "1.0" and parser.should_keep_alive()
        head = _head(status, self.server_state.default_headers, headers, body, keep_alive)
        if head is None:  # answered already (a click recorded): refuse it here, as uvicorn would
            log.error("a front door's answer has a header that cannot be sent: %r", headers)
            body = _FAILED
            head = _head(500, self.server_state.default_headers, _FAILED_HEADERS, body, keep_alive)
            assert head is not None
        decided = _Decided(keep_alive)
        self.cycle = decided  # type: ignore[assignment]
        outbox = _outboxes.get(self.loop)
        if outbox is None:
            outbox = _outboxes[self.loop] = _Outbox(self.loop)
        outbox.add(doors, self, decided, head if method == b"HEAD" else head + body)
        return True

    def send_decided(self, decided: _Decided, data: bytes) -> None:
        """Write a queued answer and finish its request as uvicorn finishes a response."""
        decided.response_complete = True
        if decided.disconnected or self.transport.is_closing():
            return  # the client left: its click is kept, as on uvicorn's path
        self.transport.write(data)
        if not decided.keep_alive:
            self.transport.close()
        self.on_response_complete()


def _answer_now(doors: tuple[FrontDoor, ...], scope: Any) -> DoorResponse | None:
    """The first matching door's immediate answer, or None (no door, or it must wait)."""
    for door in doors:
        key = door.match(scope)
        if key is not None:
            return door.answer_now(scope, key)
    return None
