"""Request bodies: the caller is checked before a large body is read, and no body is read past its
route's limit, whatever Content-Length says (the app is driven as the server drives it, counting
every byte it pulls)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.networks import service as networks
from evergreen.web import create_app
from evergreen.web.gate import DEFAULT_BODY_LIMIT, MIB
from tests.http_helpers import token_for

CHUNK = b"x" * (64 * 1024)
HUGE = 300 * MIB


def _chunks(total: int) -> Iterator[bytes]:
    for _ in range(total // len(CHUNK)):
        yield CHUNK


class Sent:
    """One request driven through the ASGI app: its answer and how many body bytes it pulled."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes, pulled: int) -> None:
        self.status, self.headers, self.body, self.pulled = status, headers, body, pulled


def _send(
    app: Any,
    path: str,
    *,
    total: int = HUGE,
    length: int | None = None,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> Sent:
    chunks = _chunks(total)
    pulled = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    raw = {"content-type": content_type, **(headers or {})}
    if length is not None:
        raw["content-length"] = str(length)
    else:
        raw["transfer-encoding"] = "chunked"
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
        "headers": [(k.encode(), v.encode()) for k, v in raw.items()],
    }  # fmt: skip
    anyio.run(app, scope, receive, send)
    start = sent[0]
    answer = {k.decode(): v.decode() for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return Sent(start["status"], answer, body, pulled)


@pytest.fixture
def app(settings: Settings, db: Database) -> Any:
    return create_app(settings, database=db, background=False)


def test_an_unauthenticated_large_post_is_refused_before_its_body_is_read(app: Any) -> None:
    streamed = _send(app, "/api/v1/links")  # no Content-Length
    assert (streamed.status, streamed.pulled) == (401, 0)
    assert b"Missing API token" in streamed.body
    declared = _send(app, "/api/v1/links", length=HUGE)
    assert (declared.status, declared.pulled) == (401, 0)
    bad_token = _send(app, "/api/v1/links", headers={"authorization": "Bearer evg_nope"})
    assert (bad_token.status, bad_token.pulled) == (401, 0)
    page = _send(app, "/links/new", content_type="application/x-www-form-urlencoded")
    assert (page.status, page.pulled) == (303, 0)
    assert page.headers["location"].startswith("/login")


def test_a_role_that_may_not_post_is_refused_before_its_body_is_read(
    app: Any, db: Database, people: dict[str, str]
) -> None:
    staff = {"authorization": f"Bearer {token_for(db, people['staff'])}"}
    refused = _send(app, "/api/v1/partners/terms", headers=staff)
    assert (refused.status, refused.pulled) == (403, 0)


def test_an_oversized_body_gets_413_without_being_buffered(
    app: Any, db: Database, people: dict[str, str]
) -> None:
    owner = {"authorization": f"Bearer {token_for(db, people['owner'])}"}
    streamed = _send(app, "/api/v1/links", headers=owner)
    assert streamed.status == 413
    assert DEFAULT_BODY_LIMIT < streamed.pulled <= DEFAULT_BODY_LIMIT + len(CHUNK)
    assert b"larger than 1 MiB" in streamed.body
    declared = _send(app, "/api/v1/links", headers=owner, length=HUGE)
    assert (declared.status, declared.pulled) == (413, 0)
    # A Content-Length that lies (small) does not let more through: bytes are counted.
    lying = _send(app, "/api/v1/links", headers=owner, length=100)
    assert lying.status == 413
    assert lying.pulled <= DEFAULT_BODY_LIMIT + len(CHUNK)
    # Even where no one signs in (a network's postback), bodies are capped.
    with db.session() as session:
        network, _secret = networks.create_network(session, name="Net")
    public = _send(app, f"/api/v1/networks/{network.id}/postback", length=100)
    assert public.status == 413
    assert public.pulled <= DEFAULT_BODY_LIMIT + len(CHUNK)


def test_a_route_that_declares_a_larger_limit_gets_it(
    app: Any, db: Database, people: dict[str, str]
) -> None:
    owner = {"authorization": f"Bearer {token_for(db, people['owner'])}"}
    with db.session() as session:
        network, _secret = networks.create_network(session, name="Net")
    path = f"/api/v1/networks/{network.id}/reports"
    # Past the default limit, read whole and answered by the route (not JSON: its own 422).
    report = _send(app, path, headers=owner, total=2 * MIB)
    assert (report.status, report.pulled) == (422, 2 * MIB)
    assert b"the CSV text" in report.body
    too_big = _send(app, path, headers=owner, length=HUGE, content_type="text/csv")
    assert (too_big.status, too_big.pulled) == (413, 0)
    assert b"larger than 20.0625 MiB" in too_big.body


def test_413_is_said_in_words_on_pages_and_in_the_api(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    api = client.post("/api/v1/links", content=b"x" * (DEFAULT_BODY_LIMIT + 1), headers=owner)
    assert api.status_code == 413
    assert "the most this address accepts" in api.json()["detail"]
