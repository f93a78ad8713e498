"""Delivery over HTTP on SQLite and PostgreSQL: a signed download link streams the file and
counts it; expired 410, changed 403, revoked 403, used up 403, each a page saying what to do;
the owner's product page sets delivery, grants by hand and revokes after a confirmation; the
buyers' area mails a sign-in link (the same answer for any address) and shows purchases."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from evergreen.commerce import service
from evergreen.commerce.rules.delivery import download_token
from evergreen.commerce.views.buyers import BUYER_COOKIE
from evergreen.db import Database, utcnow
from evergreen.web import create_app
from tests.accounts.test_forgot_password import mail_settings
from tests.conftest import TEST_SECRET
from tests.http_helpers import csrf_from, sign_in
from tests.mail.smtp_server import FaultyHandler, smtp_server

_SIGN_IN = re.compile(r'href="(http://testserver/account/signin/[^"]+)"')


def _grant(db: Database, data_dir: Path, limit: int | None = None) -> tuple[int, int, int]:
    with db.session() as session:
        row = service.add_product(session, service.ProductDraft("Ebook", "digital"))
        file = service.store_file(session, data_dir, row.id, "book.pdf", [b"%PDF-1.7 hello"])
        service.set_delivery(session, row.id, limit, None, 2)
        made = service.grant(session, row.id, "ann@example.com", "order:5")
        return row.id, made[0].id, file.id


def _link(grant_id: int, file_id: int, hours: float = 1) -> str:
    expires = (utcnow() + timedelta(hours=hours)).replace(microsecond=0)
    return f"/d/{download_token(TEST_SECRET, grant_id, file_id, expires)}"


def test_a_signed_link_downloads_until_its_limit(
    client: TestClient, db: Database, settings: object
) -> None:
    _, grant_id, file_id = _grant(db, settings.data_dir, limit=2)  # type: ignore[attr-defined]
    link = _link(grant_id, file_id)
    first = client.get(link)
    assert first.status_code == 200
    assert first.content == b"%PDF-1.7 hello"
    assert 'filename="book.pdf"' in first.headers["content-disposition"]
    assert first.headers["cache-control"] == "no-store, private"
    part = client.get(link, headers={"Range": "bytes=5-"})
    assert (part.status_code, part.content) == (206, b"1.7 hello")  # the rest: not counted
    assert client.get(link).status_code == 200
    used = client.get(link)
    assert used.status_code == 403
    assert "2 downloads are used up" in used.text
    assert 'href="/account"' in used.text
    with db.session() as session:
        assert service.get_grant(session, grant_id).downloads == 2


def test_expired_changed_and_revoked_links_are_refused(
    client: TestClient, db: Database, settings: object
) -> None:
    _, grant_id, file_id = _grant(db, settings.data_dir)  # type: ignore[attr-defined]
    expired = client.get(_link(grant_id, file_id, hours=-1))
    assert expired.status_code == 410
    assert "expired" in expired.text
    good = _link(grant_id, file_id)
    assert client.get(good[:-2] + "AA").status_code == 403
    assert client.get(_link(grant_id, file_id + 1)).status_code == 403  # no such file
    assert client.get("/d/" + "9" * 150).status_code in (403, 422)
    with db.session() as session:
        service.revoke(session, "order:5", "refunded")
    revoked = client.get(good)
    assert revoked.status_code == 403
    assert "revoked (refunded)" in revoked.text


def test_the_owner_sets_delivery_grants_by_hand_and_revokes_after_confirming(
    client: TestClient, db: Database, people: dict[str, str], settings: object
) -> None:
    product, grant_id, _ = _grant(db, settings.data_dir)  # type: ignore[attr-defined]
    sign_in(client, people["owner"])
    page = client.get(f"/commerce/products/{product}")
    assert page.status_code == 200
    assert "ann@example.com" in page.text
    assert 'id="delivery-form"' in page.text
    token = csrf_from(page.text)
    url = f"/commerce/products/{product}"
    bad = client.post(f"{url}/delivery", data={"csrf_token": token, "link_hours": "0"})
    assert bad.status_code == 400
    assert "link_hours" in bad.text
    saved = client.post(f"{url}/delivery", data={"csrf_token": token, "download_limit": "4",
                                                  "link_hours": "2"})  # fmt: skip
    assert saved.status_code == 200
    assert "Delivery settings saved." in saved.text
    granted = client.post(f"{url}/grants", data={"csrf_token": token, "email": "Bob@Example.com"})
    assert "bob@example.com" in granted.text
    assert "manual:bob@example.com" in granted.text
    asked = client.post(f"{url}/grants/{grant_id}/revoke", data={"csrf_token": token})
    assert asked.status_code == 200
    assert "Revoke access" in asked.text
    with db.session() as session:
        assert service.get_grant(session, grant_id).status == "active"
    done = client.post(
        f"{url}/grants/{grant_id}/revoke",
        data={"csrf_token": token, "confirm": "yes", "reason": "comp ended"},
    )
    assert done.status_code == 200
    assert "Access revoked." in done.text
    with db.session() as session:
        row = service.get_grant(session, grant_id)
        assert (row.status, row.revoked_reason) == ("revoked", "comp ended")


@pytest.fixture
def smtp() -> Iterator[tuple[FaultyHandler, int]]:
    with smtp_server() as running:
        yield running


def test_a_buyer_signs_in_by_mail_and_sees_their_purchases(
    tmp_path: Path, database_url: str, db: Database, smtp: tuple[FaultyHandler, int]
) -> None:
    settings = mail_settings(tmp_path, database_url, smtp[1])
    _grant(db, settings.data_dir)
    with TestClient(create_app(settings, database=db)) as client:
        form = client.get("/account")
        assert form.status_code == 200
        assert 'id="signin-form"' in form.text
        token = csrf_from(form.text)
        answers = [
            client.post("/account", data={"csrf_token": token, "email": address})
            for address in ("nobody@example.com", "ANN@example.com")
        ]
        assert answers[0].text == answers[1].text
        assert "If purchases were made with that address" in answers[1].text
        assert client.post("/account", data={"csrf_token": token, "email": "x"}).status_code == 400
        assert [e.rcpt_tos for e in smtp[0].received] == [["ann@example.com"]]
        message = email.message_from_bytes(smtp[0].received[0].content)
        html = next(p for p in message.walk() if p.get_content_type() == "text/html")
        link = _SIGN_IN.search(str(html.get_payload(decode=True).decode()))  # type: ignore[union-attr]
        assert link is not None
        changed = client.get(link.group(1)[:-3] + "abc")
        assert changed.status_code == 403
        opened = client.get(link.group(1))
        assert opened.status_code == 200
        assert client.cookies.get(BUYER_COOKIE)
        assert "ann@example.com" in opened.text
        assert "book.pdf" in opened.text
        download = re.search(r'href="http://testserver(/d/[^"]+)"', opened.text)
        assert download is not None
        assert client.get(download.group(1)).content == b"%PDF-1.7 hello"
        key = re.search(r'class="license-key">([A-Z2-7-]{23})<', opened.text)
        assert key is not None
        body = {"license_key": key.group(1), "instance_name": "Studio PC"}
        api = client.post("/api/v1/licenses/activate", json=body)
        instance = api.json()["instance"]["id"]
        shown = client.get("/account")
        assert "Studio PC" in shown.text
        assert "1 of 2 activations" in shown.text
        freed = client.post("/account/deactivate", data={
            "csrf_token": csrf_from(shown.text), "license_key": key.group(1),
            "instance_id": instance})  # fmt: skip
        assert "Activation removed" in freed.text
        assert "0 of 2 activations" in freed.text
        client.post("/account/signout", data={"csrf_token": csrf_from(freed.text)})
        assert 'id="signin-form"' in client.get("/account").text


def test_sign_in_mails_are_limited_per_address_and_client(
    tmp_path: Path, database_url: str, db: Database, smtp: tuple[FaultyHandler, int]
) -> None:
    settings = mail_settings(tmp_path, database_url, smtp[1])
    _grant(db, settings.data_dir)
    with TestClient(create_app(settings, database=db)) as client:
        token = csrf_from(client.get("/account").text)
        answers = [
            client.post("/account", data={"csrf_token": token, "email": "ann@example.com"})
            for _ in range(4)
        ]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert "Too many sign-in requests" in answers[3].text
        assert int(answers[3].headers["Retry-After"]) > 0
        # The same limit for an address without purchases: a refusal tells nothing.
        stranger = [
            client.post("/account", data={"csrf_token": token, "email": "zed@example.com"})
            for _ in range(4)
        ]
        assert [a.status_code for a in stranger] == [200, 200, 200, 429]
    assert [e.rcpt_tos for e in smtp[0].received] == [["ann@example.com"]] * 3
