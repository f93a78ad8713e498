"""The web server's protocol (web.protocol) over real sockets: a front door's immediate answer
written without the app keeps HTTP's rules (keep-alive, pipelining, HEAD, HTTP/1.0, close), the
click is spooled before its redirect is read, and what a door cannot answer at once still goes
through the app."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.links import service
from evergreen.links.clicks.ingest import spool_folder
from evergreen.links.clicks.redirect import LinkRedirects
from evergreen.links.drafts import LinkDraft
from evergreen.web.protocol import FrontDoorProtocol
from evergreen.webworkers import server_config
from tests.live_server import live_server

Answer = tuple[int, dict[str, str], bytes]


class _Served:
    """The live server's address and its link door, whose ASGI path (`answer`) is counted."""

    def __init__(self, app: Any) -> None:
        self.door: LinkRedirects = next(d for d in app.front_doors if isinstance(d, LinkRedirects))
        self.through_app = 0
        answer = self.door.answer

        async def counted(*args: Any) -> Any:
            self.through_app += 1
            return await answer(*args)

        self.door.answer = counted  # type: ignore[method-assign]
        self.port = 0


@contextmanager
def _serve(
    settings: Settings, db: Database, keep_alive_s: float | None = None
) -> Iterator[_Served]:
    with db.session() as session:
        for slug in ("book", "deal"):
            draft = LinkDraft(destination=f"https://shop.example/{slug}", slug=slug)
            service.create_link(session, draft)
    served: list[_Served] = []
    with live_server(
        settings, db, prepare=lambda app: served.append(_Served(app)), keep_alive_s=keep_alive_s
    ) as url:
        served[0].port = int(url.rsplit(":", 1)[1])
        served[0].door.runtime.cache.refresh()
        yield served[0]


_buffers: dict[int, bytes] = {}  # what was read past the answers taken, per socket


def _read(sock: socket.socket, count: int, head_only: bool = False) -> list[Answer]:
    """`count` whole answers from the stream (a HEAD answer has no body to wait for)."""
    buffer = _buffers.pop(sock.fileno(), b"")
    answers: list[Answer] = []
    while len(answers) < count:
        if b"\r\n\r\n" in buffer:
            head, _, rest = buffer.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = 0 if head_only else int(headers.get("content-length", "0"))
            if len(rest) >= length:
                answers.append((int(lines[0].split()[1]), headers, rest[:length]))
                buffer = rest[length:]
                continue
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {len(answers)} of {count} answers"
        buffer += chunk
    _buffers[sock.fileno()] = buffer
    return answers


def _connect(served: _Served) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=10)
    _buffers.pop(sock.fileno(), None)
    return sock


def _get(path: str, *extra: str, method: str = "GET", version: str = "1.1") -> bytes:
    lines = [f"{method} {path} HTTP/{version}", "Host: 127.0.0.1", "User-Agent: Tester/1.0", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _spooled(settings: Settings) -> int:
    """Clicks written to the spool so far (the ingester is not running: none taken away)."""
    return sum(path.read_bytes().count(b"\n") for path in spool_folder(settings).glob("*.clicks"))


def test_the_web_server_runs_the_front_door_protocol(settings: Settings) -> None:
    config = server_config(object(), settings, "127.0.0.1", 0)
    assert config.http is FrontDoorProtocol


def test_a_cached_redirect_is_answered_without_the_app_and_its_click_spooled_first(
    settings: Settings, db: Database
) -> None:
    with _serve(settings, db) as served, _connect(served) as sock:
        for number in range(1, 4):  # one kept-alive connection, three requests one by one
            sock.sendall(_get("/go/book?sub1=post"))
            [(status, headers, body)] = _read(sock, 1)
            assert status == 302
            assert headers["location"] == "https://shop.example/book?sub1=post"
            assert headers["content-length"] == "0"
            assert body == b""
            assert headers["x-robots-tag"] == "noindex"
            assert "date" in headers
            assert "connection" not in headers
            assert _spooled(settings) == number  # in the spool before the answer was read
        assert served.through_app == 0


def test_pipelined_requests_are_answered_in_order_across_both_paths(
    settings: Settings, db: Database
) -> None:
    with _serve(settings, db) as served, _connect(served) as sock:
        # A redirect, a page through the app, a redirect, the app's 405, a redirect: one write.
        sock.sendall(
            _get("/go/book") + _get("/healthz") + _get("/go/deal")
            + _get("/go/deal", "Content-Length: 0", method="POST") + _get("/go/book?x=1")
        )  # fmt: skip
        answers = _read(sock, 5)
    assert [status for status, _h, _b in answers] == [302, 200, 302, 405, 302]
    assert answers[0][1]["location"] == "https://shop.example/book"
    assert answers[1][1]["content-type"].startswith(("application/json", "text/"))
    assert answers[2][1]["location"] == "https://shop.example/deal"
    assert answers[3][1]["allow"] == "GET, HEAD"
    assert answers[4][1]["location"] == "https://shop.example/book?x=1"
    # What came after the page waited in uvicorn's queue and was answered by the app, in order.
    assert served.through_app == 3


@pytest.mark.parametrize(
    ("request_bytes", "closes"),
    [
        (_get("/go/book", version="1.0"), True),
        (_get("/go/book", "Connection: close"), True),
        (_get("/go/book"), False),
    ],
    ids=["http-1.0", "connection-close", "http-1.1"],
)
def test_closing_follows_the_request(
    settings: Settings, db: Database, request_bytes: bytes, closes: bool
) -> None:
    with _serve(settings, db) as served, _connect(served) as sock:
        sock.sendall(request_bytes)
        [(status, headers, _body)] = _read(sock, 1)
        assert status == 302
        assert (headers.get("connection") == "close") is closes
        if closes:
            assert sock.recv(10) == b""  # the server closed its side
        else:
            sock.sendall(_get("/go/deal"))
            assert _read(sock, 1)[0][1]["location"] == "https://shop.example/deal"


def test_head_gets_the_headers_and_no_body(settings: Settings, db: Database) -> None:
    with _serve(settings, db) as served, _connect(served) as sock:
        sock.sendall(_get("/go/missing", method="HEAD") + _get("/go/book"))
        [(status, headers, _body)] = _read(sock, 1, head_only=True)
        assert status == 404
        assert int(headers["content-length"]) > 100
        [(status, headers, body)] = _read(sock, 1)  # ...whose bytes were never sent
        assert status == 302
        assert body == b""
        assert headers["location"] == "https://shop.example/book"


def test_a_body_sent_with_a_get_is_dropped_and_the_next_request_still_read(
    settings: Settings, db: Database
) -> None:
    with _serve(settings, db) as served, _connect(served) as sock:
        sock.sendall(_get("/go/book", "Content-Length: 5") + b"hello" + _get("/go/deal"))
        answers = _read(sock, 2)
    assert [a[1]["location"] for a in answers] == [
        "https://shop.example/book",
        "https://shop.example/deal",
    ]


def test_what_a_door_cannot_answer_at_once_goes_through_the_app(
    settings: Settings, db: Database
) -> None:
    with _serve(settings, db) as served, _connect(served) as sock:
        with db.session() as session:  # made after the cache was filled: not in memory yet
            service.create_link(
                session, LinkDraft(destination="https://shop.example/fresh", slug="fresh")
            )
        sock.sendall(_get("/go/fresh"))
        [(status, headers, _body)] = _read(sock, 1)
        assert status == 302
        assert headers["location"] == "https://shop.example/fresh"
        assert served.through_app == 1
        sock.sendall(_get("/go/fresh"))  # cached by that lookup: at once now
        assert _read(sock, 1)[0][0] == 302
        assert served.through_app == 1
        assert _spooled(settings) == 2


def test_every_immediate_answer_says_its_length(settings: Settings, db: Database) -> None:
    long_query = "q=" + "x" * 9000  # refused at once, with a body: a length, not chunks
    with _serve(settings, db) as served, _connect(served) as sock:
        sock.sendall(_get(f"/go/book?{long_query}") + _get("/go/book"))
        answers = _read(sock, 2)
    (status, headers, body), (after, _h, _b) = answers
    assert status == 400
    assert "transfer-encoding" not in headers
    assert int(headers["content-length"]) == len(body)
    assert b"too long" in body
    assert after == 302
    assert served.through_app == 0


def test_many_pipelined_redirects_come_back_in_order_and_the_connection_stays(
    settings: Settings, db: Database
) -> None:
    with _serve(settings, db) as served, _connect(served) as sock:
        sock.sendall(b"".join(_get(f"/go/book?n={n}") for n in range(40)))
        answers = _read(sock, 40)
        sock.sendall(_get("/go/deal"))  # still open for the next request
        [(status, _headers, _body)] = _read(sock, 1)
    assert [a[1]["location"] for a in answers] == [
        f"https://shop.example/book?n={n}" for n in range(40)
    ]
    assert status == 302
    assert served.through_app == 0
    assert _spooled(settings) == 41


def test_an_idle_connection_is_closed_after_the_keep_alive_and_a_busy_one_kept(
    settings: Settings, db: Database
) -> None:
    with _serve(settings, db, keep_alive_s=0.6) as served, _connect(served) as sock:
        started = answered = time.monotonic()
        while answered - started < 1.5:  # busy well past the timeout, on both paths
            time.sleep(0.2)
            sock.sendall(_get("/go/book") + _get("/healthz"))
            assert [a[0] for a in _read(sock, 2)] == [302, 200]
            answered = time.monotonic()
        assert sock.recv(10) == b""  # then idle: closed by the server...
        assert 0.55 < time.monotonic() - answered < 2.5  # ...once idle for the whole timeout


def test_an_answer_with_a_header_that_cannot_be_sent_is_a_500_and_counted_once(
    settings: Settings, db: Database
) -> None:
    with _serve(settings, db) as served, _connect(served) as sock:
        link = served.door.runtime.cache.links["book"]
        link.built[("https://shop.example/book", b"")] = ({}, "x", b"https://x.example/\r\nx: 1")
        sock.sendall(_get("/go/book") + _get("/go/deal"))
        (status, _headers, body), (after, _h, _b) = _read(sock, 2)
    assert status == 500
    assert body == b"Internal Server Error"
    assert after == 302
    assert served.through_app == 0
    assert _spooled(settings) == 2  # the refused one was recorded once, as uvicorn's path did
