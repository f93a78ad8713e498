"""Forgotten passwords through the real services and pages, with a real SMTP server (aiosmtpd):
the mailed link works once, every address gets the same answer, floods are stopped, the owner's
reset links are mailed too, and a mail that cannot go is never a 500."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evergreen.accounts import service as accounts
from evergreen.accounts.mailing import reset_mail
from evergreen.accounts.models import PasswordReset, ResetRequest
from evergreen.accounts.rules import FORGOT_ANSWER, ResetRequestPolicy
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.mail.transactional import deliver
from evergreen.web import create_app
from tests.conftest import TEST_SECRET
from tests.http_helpers import csrf_from, sign_in
from tests.mail.smtp_server import FaultyHandler, smtp_server

NEW = "a brand new passphrase"
_LINK = re.compile(r'href="(http://testserver/account/reset\?token=[^"]+)"')


def mail_settings(tmp_path: Path, database_url: str, port: int) -> Settings:
    """Settings that send through the test's SMTP server."""
    return Settings(
        env="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        mail_from="accounts@shop.example",
    )


@pytest.fixture
def smtp() -> Iterator[tuple[FaultyHandler, int]]:
    with smtp_server() as running:
        yield running


@pytest.fixture
def mailing(
    tmp_path: Path, database_url: str, db: Database, smtp: tuple[FaultyHandler, int]
) -> Iterator[TestClient]:
    """A client of the app with mail set up."""
    settings = mail_settings(tmp_path, database_url, smtp[1])
    with TestClient(create_app(settings, database=db)) as client:
        yield client


def _html(envelope: object) -> str:
    message = email.message_from_bytes(envelope.content)  # type: ignore[attr-defined]
    part = next(p for p in message.walk() if p.get_content_type() == "text/html")
    return str(part.get_payload(decode=True).decode())  # type: ignore[union-attr]


def _ask(client: TestClient, address: str) -> object:
    page = client.get("/login/forgot")
    assert page.status_code == 200
    data = {"email": address, "csrf_token": csrf_from(page.text)}
    return client.post("/login/forgot", data=data, follow_redirects=False)


# The service: counted per client and address, a link only where one may go.


def test_a_link_is_made_only_for_an_active_staff_member_or_partner(
    db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        for role in ("staff", "partner"):
            made = accounts.request_reset(
                session, people[role].upper(), client="1.2.3.4", base_url="https://x.example"
            )
            assert made.link is not None
            assert made.link.url.startswith("https://x.example/account/reset?token=")
        for address in (people["owner"], "nobody@example.com"):
            none = accounts.request_reset(
                session, address, client="1.2.3.4", base_url="https://x.example"
            )
            assert none.link is None
            assert none.wait is None
        # Every request counted twice (client and address), known or unknown.
        assert session.scalar(select(func.count()).select_from(ResetRequest)) == 8
        assert session.scalar(select(func.count()).select_from(PasswordReset)) == 2


def test_the_limit_counts_unknown_addresses_like_known_ones(
    db: Database, people: dict[str, str]
) -> None:
    policy = ResetRequestPolicy(per_address=2, per_client=100, window=timedelta(hours=1))
    now = utcnow()
    with db.session() as session:
        for address in (people["staff"], "nobody@example.com"):
            for n in range(3):
                outcome = accounts.request_reset(
                    session, address, client=f"c{n}", base_url="http://t", policy=policy, now=now
                )
                assert (outcome.wait is not None) is (n == 2), (address, n)
        later = accounts.request_reset(
            session,
            people["staff"],
            client="c9",
            base_url="http://t",
            policy=policy,
            now=now + timedelta(hours=1, seconds=1),
        )
        assert later.link is not None


def test_the_mailed_link_arrives_and_sets_the_password(
    tmp_path: Path, database_url: str, db: Database, people: dict[str, str], smtp: object
) -> None:
    handler, port = smtp  # type: ignore[misc]
    settings = mail_settings(tmp_path, database_url, port)
    with db.session() as session:
        made = accounts.request_reset(
            session, people["partner"], client="1.2.3.4", base_url="https://shop.example"
        )
    assert made.link is not None
    assert deliver(settings, reset_mail(made.link), "test") is None
    (envelope,) = handler.received
    assert envelope.rcpt_tos == [people["partner"]]
    body = _html(envelope)
    link = re.search(r'href="https://shop.example/account/reset\?token=([^"]+)"', body)
    assert link is not None
    with db.session() as session:
        accounts.use_reset(session, link.group(1), NEW, NEW)
    with db.session() as session:
        assert accounts.sign_in(
            session, people["partner"], NEW, client="t", policy=accounts.ThrottlePolicy(), days=1
        )


# The pages.


def test_known_and_unknown_addresses_get_the_same_answer_and_only_one_mail(
    mailing: TestClient, people: dict[str, str], smtp: tuple[FaultyHandler, int]
) -> None:
    handler, _port = smtp
    login = mailing.get("/login")
    assert 'href="/login/forgot"' in login.text
    answers = [_ask(mailing, a) for a in (people["staff"], "nobody@example.com", people["owner"])]
    for answer in answers:
        assert answer.status_code == 303  # type: ignore[attr-defined]
        assert answer.headers["location"] == "/login/forgot?sent=1"  # type: ignore[attr-defined]
    shown = mailing.get("/login/forgot?sent=1")
    assert FORGOT_ANSWER in shown.text
    assert [e.rcpt_tos for e in handler.received] == [[people["staff"]]]
    link = _LINK.search(_html(handler.received[0]))
    assert link is not None
    mailing.cookies.clear()
    page = mailing.get(link.group(1))
    assert page.status_code == 200
    assert people["staff"] in page.text
    token = link.group(1).split("token=", 1)[1]
    data = {"token": token, "password": NEW, "password_again": NEW}
    done = mailing.post(
        "/account/reset", data={**data, "csrf_token": csrf_from(page.text)}, follow_redirects=False
    )
    assert done.status_code == 303
    sign_in(mailing, people["staff"], NEW)
    mailing.cookies.clear()
    again = mailing.get(link.group(1))
    assert again.status_code == 400  # used once


def test_a_flood_is_answered_429_in_words(mailing: TestClient) -> None:
    codes = [_ask(mailing, "victim@example.com").status_code for _ in range(4)]  # type: ignore[attr-defined]
    assert codes == [303, 303, 303, 429]
    refused = _ask(mailing, "victim@example.com")
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert "Too many reset requests" in refused.text  # type: ignore[attr-defined]
    assert int(refused.headers["retry-after"]) > 0  # type: ignore[attr-defined]


def test_a_blank_address_says_what_to_fix(mailing: TestClient) -> None:
    answer = _ask(mailing, "  ")
    assert answer.status_code == 400  # type: ignore[attr-defined]
    assert "Enter the email address you sign in with." in answer.text  # type: ignore[attr-defined]


def test_without_mail_the_page_says_to_ask_the_owner(
    client: TestClient, people: dict[str, str], db: Database
) -> None:
    page = client.get("/login/forgot")
    assert page.status_code == 200
    assert "Email is not set up" in page.text
    assert "Ask the owner" in page.text
    posted = client.post(
        "/login/forgot",
        data={"email": people["staff"], "csrf_token": csrf_from(client.get("/login").text)},
    )
    assert posted.status_code == 200
    assert "Email is not set up" in posted.text
    with db.session(writer=False) as session:
        assert session.scalar(select(func.count()).select_from(PasswordReset)) == 0


def test_a_send_that_fails_is_logged_not_a_500(
    tmp_path: Path, database_url: str, db: Database, people: dict[str, str]
) -> None:
    with smtp_server() as (_handler, port):
        pass  # the server is gone: nothing listens on the port any more
    settings = mail_settings(tmp_path, database_url, port)
    with TestClient(create_app(settings, database=db)) as client:
        answer = _ask(client, people["staff"])
        assert answer.status_code == 303  # type: ignore[attr-defined]
        sign_in(client, people["owner"])
        made = _owner_reset(client, db, people["staff"])
        assert made.status_code == 200
        assert "Not mailed (deferred" in made.text
        assert 'id="reset-url"' in made.text  # the owner still has the link


def _owner_reset(client: TestClient, db: Database, address: str) -> object:
    with db.session(writer=False) as session:
        user_id = next(u.id for u in accounts.list_users(session) if u.email == address)
    page = client.get("/settings")
    data = {"csrf_token": csrf_from(page.text), "confirm": "yes"}
    return client.post(f"/settings/users/{user_id}/reset", data=data)


def test_the_owners_reset_link_is_mailed_and_shown(
    mailing: TestClient, db: Database, people: dict[str, str], smtp: tuple[FaultyHandler, int]
) -> None:
    handler, _port = smtp
    sign_in(mailing, people["owner"])
    made = _owner_reset(mailing, db, people["partner"])
    assert made.status_code == 200  # type: ignore[attr-defined]
    assert f"Mailed to {people['partner']}." in made.text  # type: ignore[attr-defined]
    shown = re.search(r'id="reset-url">([^<]+)<', made.text)  # type: ignore[attr-defined]
    assert shown is not None
    (envelope,) = handler.received
    assert envelope.rcpt_tos == [people["partner"]]
    assert f'href="{shown.group(1)}"' in _html(envelope).replace("&amp;", "&")


def test_without_mail_the_owners_link_says_it_was_not_mailed(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    sign_in(client, people["owner"])
    made = _owner_reset(client, db, people["staff"])
    assert made.status_code == 200  # type: ignore[attr-defined]
    assert "Not mailed: email is not set up" in made.text  # type: ignore[attr-defined]
    assert 'id="reset-url"' in made.text  # type: ignore[attr-defined]
