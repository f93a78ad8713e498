"""Link health: pure verdicts, real checks against local HTTP servers, and stored results."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from evergreen.addresses import Addresses
from evergreen.db import Database
from evergreen.links import service
from evergreen.links.drafts import LinkDraft
from evergreen.links.health import USER_AGENT, check_links, check_url, verdict

# The test sites listen on loopback, which checks refuse unless the owner allows it.
LOCAL = Addresses("127.0.0.1", names=True)


@pytest.mark.parametrize(
    ("original", "final", "status", "error", "state"),
    [
        ("https://shop.example/deal", "https://shop.example/deal", 200, None, "ok"),
        ("https://shop.example/deal", "https://www.shop.example/deal?x=1", 200, None, "ok"),
        ("http://shop.example/deal", "https://shop.example/deal", 200, None, "ok"),
        ("https://go.shop.example/d", "https://www.shop.example/p/1", 200, None, "ok"),
        ("https://shop.example/", "https://shop.example/", 200, None, "ok"),
        ("https://shop.example/deal", "https://shop.example/deal", 404, None, "broken"),
        ("https://shop.example/deal", "https://shop.example/deal", 503, None, "broken"),
        ("https://shop.example/deal", "https://shop.example/deal", None, "timed out", "broken"),
        ("https://shop.example/deal", "https://shop.example/deal", None, None, "broken"),
        ("https://shop.example/deal", "https://other.example/", 200, None, "redirected"),
        ("https://shop.example/deal", "https://shop.example/", 200, None, "redirected"),
        ("https://a.shop.co.uk/x", "https://b.shop.co.uk/x", 200, None, "ok"),
        ("https://shop.co.uk/x", "https://store.co.uk/x", 200, None, "redirected"),
        ("http://127.0.0.1:8001/x", "http://127.0.0.1:8002/x", 200, None, "redirected"),
    ],
)
def test_verdict(
    original: str, final: str, status: int | None, error: str | None, state: str
) -> None:
    assert verdict(original, final, status, error)[0] == state


def test_verdict_details_say_what_happened() -> None:
    assert verdict("https://s.example/a", "https://s.example/a", 404, None) == (
        "broken", "HTTP 404 Not Found from s.example"
    )  # fmt: skip
    assert verdict("https://s.example/a", "https://s.example/a", None, "connection refused") == (
        "broken", "no answer: connection refused"
    )  # fmt: skip
    assert "other.example" in verdict("https://s.example/a", "https://other.example/", 200, None)[1]
    assert "home page" in verdict("https://s.example/a", "https://s.example/", 200, None)[1]


class _Site(BaseHTTPRequestHandler):
    """A merchant with a live page, a dead one, a moved one and a server that refuses HEAD."""

    other = ""  # the other site's origin, set by the fixture
    agents: list[str] = []

    def _answer(self, head: bool) -> None:
        self.agents.append(self.headers.get("User-Agent", ""))
        path = self.path
        if path == "/head-refused" and head:
            self._send(405)
        elif path in ("/ok", "/head-refused", "/home-of-other-site"):
            self._send(200, b"hello", head)
        elif path == "/moved":
            self._send(302, location=f"{self.other}/home-of-other-site")
        elif path == "/loop":
            self._send(302, location="/loop")
        else:
            self._send(404, b"gone", head)

    def _send(self, status: int, body: bytes = b"", head: bool = False, location: str = "") -> None:
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and not head:
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        self._answer(head=False)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture(scope="module")
def sites() -> Iterator[tuple[str, str]]:
    """Two local servers on different ports: the merchant and "another site"."""
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _Site) for _ in range(2)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    shop, other = (f"http://127.0.0.1:{s.server_address[1]}" for s in servers)
    _Site.other = other
    yield shop, other
    for server, thread in zip(servers, threads, strict=True):
        server.shutdown()
        server.server_close()
        thread.join()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_live_page_is_ok_and_the_checker_says_who_it_is(sites: tuple[str, str]) -> None:
    shop, _ = sites
    _Site.agents.clear()
    assert check_url(f"{shop}/ok", timeout=2, allow=LOCAL) == (f"{shop}/ok", 200, None)
    assert _Site.agents == [USER_AGENT]


def test_a_missing_page_is_a_404(sites: tuple[str, str]) -> None:
    shop, _ = sites
    final, status, error = check_url(f"{shop}/gone", timeout=2, allow=LOCAL)
    assert (final, status, error) == (f"{shop}/gone", 404, None)
    assert verdict(f"{shop}/gone", final, status, error)[0] == "broken"


def test_a_redirect_to_another_site_is_followed_and_flagged(sites: tuple[str, str]) -> None:
    # Same host, other port: a different origin, so a different site (ports 80/443 are not).
    shop, other = sites
    _Site.agents.clear()
    final, status, error = check_url(f"{shop}/moved", timeout=2, allow=LOCAL)
    assert (final, status, error) == (f"{other}/home-of-other-site", 200, None)
    assert len(_Site.agents) == 2  # the redirect was followed with HEAD, not a second GET
    assert verdict(f"{shop}/moved", final, status, error)[0] == "redirected"


def test_a_server_refusing_head_is_asked_with_get(sites: tuple[str, str]) -> None:
    shop, _ = sites
    assert check_url(f"{shop}/head-refused", timeout=2, allow=LOCAL) == (
        f"{shop}/head-refused",
        200,
        None,
    )


def test_a_redirect_loop_is_broken_not_endless(sites: tuple[str, str]) -> None:
    shop, _ = sites
    _final, status, error = check_url(f"{shop}/loop", timeout=2, allow=LOCAL)
    assert status is None
    assert error is not None
    assert "redirect" in error


def test_a_closed_port_is_broken_without_raising() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/deal"
    assert check_url(url, timeout=2, allow=LOCAL) == (url, None, "connection refused")
    assert verdict(url, url, None, "connection refused")[0] == "broken"


def test_only_web_addresses_are_checked() -> None:
    assert check_url("file:///etc/passwd") == (
        "file:///etc/passwd", None, "not an http:// or https:// address"
    )  # fmt: skip


def test_check_links_stores_each_verdict(db: Database, sites: tuple[str, str]) -> None:
    shop, _ = sites
    paths = {"alive": "/ok", "dead": "/gone", "moved": "/moved", "twin": "/ok"}
    with db.session() as session:
        for slug, path in paths.items():
            service.create_link(session, LinkDraft(destination=f"{shop}{path}", slug=slug))
    now = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    with db.session() as session:
        links, _ = service.list_links(session)
        before = {link.slug: link.updated_at for link in links}
        results = check_links(session, links, now, timeout=2, allow=LOCAL)
    assert sorted((slug, state) for slug, state, _ in results) == [
        ("alive", "ok"), ("dead", "broken"), ("moved", "redirected"), ("twin", "ok")
    ]  # fmt: skip
    with db.session() as session:
        stored = {link.slug: link for link in service.list_links(session)[0]}
    assert {slug: link.health for slug, link in stored.items()} == {
        "alive": "ok", "dead": "broken", "moved": "redirected", "twin": "ok"
    }  # fmt: skip
    assert stored["dead"].health_detail.startswith("HTTP 404 Not Found")
    assert all(link.health_checked_at == now for link in stored.values())
    # A check is not an edit of the link's settings.
    assert {slug: link.updated_at for slug, link in stored.items()} == before


def test_a_destination_on_this_machine_or_its_network_is_not_fetched(
    sites: tuple[str, str],
) -> None:
    shop, _ = sites
    _Site.agents.clear()
    final, status, error = check_url(f"{shop}/ok", timeout=2)
    assert (final, status) == (f"{shop}/ok", None)
    assert error is not None
    assert "127.0.0.1 is a loopback address" in error
    assert "EVERGREEN_LINK_CHECK_ALLOW" in error
    for private in ("http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/",
                    "http://[::ffff:192.168.0.1]/"):  # fmt: skip
        assert "not checked" in (check_url(private, timeout=2)[2] or "")
    assert _Site.agents == []  # nothing reached the server


def test_a_redirect_to_a_refused_address_is_not_followed(sites: tuple[str, str]) -> None:
    # The first hop is allowed by name; the redirect's target (127.0.0.1) is not.
    shop, _ = sites
    port = shop.rsplit(":", 1)[1]
    _Site.agents.clear()
    start = f"http://localhost:{port}/moved"
    _final, status, error = check_url(start, timeout=2, allow=Addresses("localhost", names=True))
    assert status is None
    assert "127.0.0.1 is a loopback address" in (error or "")
    assert len(_Site.agents) == 1  # the shop was asked; the other site never was
