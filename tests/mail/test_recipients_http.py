"""What a recipient does from a sent message, over HTTP: RFC 8058 one-click unsubscribe with no
cookies and no CSRF token (also 64 at once), the unsubscribe page, and the open pixel."""

from __future__ import annotations

import email
import re
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from evergreen.audience import queries as audience_queries
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.mail import queries, service
from evergreen.mail.rules import recipient_tokens
from evergreen.mail.rules.recipient_tokens import RecipientToken
from tests.conftest import TEST_SECRET
from tests.live_server import Call, live_server, send_at_once
from tests.mail.smtp_server import smtp_server
from tests.mail.test_broadcasts import _act, _broadcast, _people

ONE_CLICK = "List-Unsubscribe=One-Click"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _send_all(db: Database, tmp_path: Path, emails: list[str]) -> tuple[int, int, list[bytes]]:
    """A broadcast to these people through a real SMTP server; the messages received."""
    list_id = _people(db, emails)
    broadcast_id = _broadcast(db, list_id)
    _act(db, broadcast_id, "send")
    with smtp_server() as (handler, port):
        settings = Settings(
            env="test", data_dir=tmp_path / "d", smtp_host="127.0.0.1", smtp_port=port,
            smtp_starttls=False, mail_from="news@example.com",
        )  # fmt: skip
        outbox = service.outbox_from_settings(settings, TEST_SECRET, "http://testserver")
        service.send_due(db, outbox, wait=True)
        return broadcast_id, list_id, [bytes(e.content) for e in handler.received]  # type: ignore[arg-type]


def _unsubscribe_path(raw: bytes) -> str:
    header = email.message_from_bytes(raw)["List-Unsubscribe"]
    found = re.search(r"<http://testserver(/mail/u/[^>]+)>", header)
    assert found is not None, header
    return found.group(1)


def test_one_click_unsubscribes_that_person_from_that_list(
    client: TestClient, db: Database, tmp_path: Path
) -> None:
    _, _, messages = _send_all(db, tmp_path, ["a@example.com", "b@example.com"])
    to_a = next(m for m in messages if b"To: a@example.com" in m)
    path = _unsubscribe_path(to_a)
    client.cookies.clear()
    response = client.post(path, content=ONE_CLICK, headers=FORM)
    assert response.status_code == 200, response.text
    assert client.post(path, content=ONE_CLICK, headers=FORM).status_code == 200  # again: fine
    with db.session(writer=False) as session:
        a = audience_queries.find_by_email(session, "a@example.com")
        b = audience_queries.find_by_email(session, "b@example.com")
    assert a is not None
    assert b is not None
    assert (a.lists, b.lists) == ({"News": "unsubscribed"}, {"News": "subscribed"})
    forged = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    assert client.post(forged, content=ONE_CLICK, headers=FORM).status_code == 404


def test_the_page_asks_first_and_its_button_unsubscribes(
    client: TestClient, db: Database, tmp_path: Path
) -> None:
    _, _, messages = _send_all(db, tmp_path, ["a@example.com"])
    path = _unsubscribe_path(messages[0])
    page = client.get(path)
    assert page.status_code == 200
    assert "Stop getting messages" in page.text
    with db.session(writer=False) as session:
        card = audience_queries.find_by_email(session, "a@example.com")
        assert card is not None
        assert card.lists == {"News": "subscribed"}  # GET changes nothing
    done = client.post(path, data={})
    assert done.status_code == 200
    assert "You are unsubscribed" in done.text
    assert client.get("/mail/u/not-a-token").status_code == 404


@pytest.mark.both_databases
def test_64_one_click_unsubscribes_at_once_never_fail(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    emails = [f"p{i:02d}@example.com" for i in range(32)]
    broadcast_id, list_id, _ = _send_all(db, tmp_path, emails)
    with db.session(writer=False) as session:
        ids = [audience_queries.find_by_email(session, e).id for e in emails]  # type: ignore[union-attr]
    paths = [
        "/mail/u/"
        + recipient_tokens.encode(TEST_SECRET, RecipientToken("u", broadcast_id, sid, list_id))
        for sid in ids
    ]
    calls = [Call("POST", paths[i % 32], content=ONE_CLICK, headers=FORM) for i in range(64)]
    with live_server(settings, db) as url:
        responses = send_at_once(url, calls)
    assert Counter(r.status_code for r in responses) == {200: 64}
    with db.session(writer=False) as session:
        for address in emails:
            card = audience_queries.find_by_email(session, address)
            assert card is not None
            assert card.lists == {"News": "unsubscribed"}


def test_the_open_pixel_records_people_and_apple_apart(
    client: TestClient, db: Database, tmp_path: Path
) -> None:
    broadcast_id, _, messages = _send_all(db, tmp_path, ["a@example.com", "b@example.com"])
    pixels = [re.search(rb"http://testserver(/mail/o/[a-z0-9-]+\.gif)", m) for m in messages]
    paths = [p.group(1).decode() for p in pixels if p]
    assert len(paths) == 2
    person = {"User-Agent": "Mozilla/5.0 (Macintosh) Thunderbird/115"}
    first = client.get(paths[0], headers=person)
    assert first.status_code == 200
    assert first.headers["content-type"] == "image/gif"
    client.get(paths[0], headers=person)  # a second open is not counted again
    client.get(paths[1], headers={"User-Agent": "Mozilla/5.0"})  # Apple's proxy
    assert client.get("/mail/o/nothing.gif").status_code == 200  # never an error to an image
    with db.session(writer=False) as session:
        stats = queries.stats(session, broadcast_id)
        assert (stats.sent, stats.opened, stats.opened_proxy) == (2, 1, 1)
