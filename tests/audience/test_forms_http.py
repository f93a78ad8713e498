"""Forms over HTTP: the hosted page, the JSON endpoint with CORS, bot traps answered like
success, the per-client rate limit, no list probing, bad input never a 500, the confirmation
mail through a real SMTP server, the preference centre, the owner's pages, 64 posts at once."""

from __future__ import annotations

import email
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evergreen.audience import queries, service
from evergreen.audience.models import Subscriber
from evergreen.audience.rules.forms import render_token
from evergreen.audience.service import forms, preferences
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.web import create_app
from tests.conftest import TEST_SECRET
from tests.http_helpers import csrf_from, sign_in
from tests.live_server import Call, live_server, send_until_answered
from tests.mail.smtp_server import smtp_server


def _make_form(db: Database, *, double: bool = True, origins: str = "") -> int:
    with db.session() as session:
        news = service.create_list(session, "News", double_opt_in=double).id
        forms.create_form(
            session,
            forms.FormInput(
                name="Newsletter",
                slug="news",
                list_ids=[news],
                wording="Yes, send me the newsletter.",
                field_names=["country"],
                allowed_origins=origins,
            ),
        )
    return news


def _old_token(age: float = 5) -> str:
    return render_token(TEST_SECRET, "news", utcnow() - timedelta(seconds=age))


def _post_page(client: TestClient, email_address: str, **extra: str) -> object:
    page = client.get("/f/news")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_from(page.text),
        "token": _old_token(),
        "email": email_address,
        "name": "Jane",
        "field.country": "DE",
        **extra,
    }
    return client.post("/f/news", data=data, follow_redirects=False)


def _people(db: Database) -> int:
    with db.session(writer=False) as session:
        return int(session.scalar(select(func.count(Subscriber.id))) or 0)


def test_the_hosted_page_signs_up_and_the_owner_pages_show_it(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _make_form(db)
    page = client.get("/f/news")
    assert "Yes, send me the newsletter." in page.text
    assert 'name="website"' in page.text
    done = _post_page(client, "jane@example.com")
    assert done.status_code == 200, done.text  # type: ignore[attr-defined]
    assert "look in your inbox" in done.text  # type: ignore[attr-defined]
    with db.session(writer=False) as session:
        found = queries.find_by_email(session, "jane@example.com")
    assert found is not None
    assert found.lists == {"News": "unconfirmed"}
    assert found.fields == {"country": "DE"}
    sign_in(client, people["owner"])
    listing = client.get("/audience/forms")
    assert "/f/news" in listing.text
    assert "Mail is not configured" in listing.text
    with db.session(writer=False) as session:
        form_id = forms.list_forms(session)[0].id
    one = client.get(f"/audience/forms/{form_id}")
    assert re.search(r'id="submissions">1<', one.text)
    assert "data-evergreen-form=&#34;http://testserver/api/v1/public/forms/news&#34;" in one.text


def test_bots_get_the_same_answer_and_nothing_is_stored(client: TestClient, db: Database) -> None:
    _make_form(db)
    person = _post_page(client, "jane@example.com")
    honeypot = _post_page(client, "bot1@example.com", website="http://spam.example")
    page = client.get("/f/news")
    fast = client.post(
        "/f/news",
        data={
            "csrf_token": csrf_from(page.text),
            "token": _old_token(0.1),
            "email": "bot2@example.com",
        },
    )
    for answer in (honeypot, fast):
        assert answer.status_code == 200  # type: ignore[attr-defined]
        assert "look in your inbox" in answer.text  # type: ignore[attr-defined]
    assert person.status_code == 200  # type: ignore[attr-defined]
    assert _people(db) == 1


def test_without_a_render_time_the_form_comes_back_filled_in(
    client: TestClient, db: Database
) -> None:
    _make_form(db)
    page = client.get("/f/news?email=jane%40example.com")
    assert 'value="jane@example.com"' in page.text
    again = client.post(
        "/f/news", data={"csrf_token": csrf_from(page.text), "email": "jane@example.com"}
    )
    assert again.status_code == 200
    assert "press the button once more" in again.text
    assert 'value="jane@example.com"' in again.text
    assert _people(db) == 0


def test_already_subscribed_gets_the_same_answer(client: TestClient, db: Database) -> None:
    _make_form(db)
    first = _post_page(client, "jane@example.com")
    second = _post_page(client, "JANE@example.com")
    strip = lambda text: re.sub(r'value="[^"]*"', "", text)  # noqa: E731 (tokens differ)
    assert strip(first.text) == strip(second.text)  # type: ignore[attr-defined]


@pytest.mark.both_databases
def test_bad_input_is_shown_on_the_form_never_a_500(client: TestClient, db: Database) -> None:
    _make_form(db)
    bad = _post_page(client, "not-an-address")
    assert bad.status_code == 400
    assert "email:" in bad.text
    assert 'value="not-an-address"' in bad.text  # type: ignore[attr-defined]
    long = _post_page(client, "a@example.com", **{"field.country": "x" * 5000})
    assert long.status_code == 200  # cut to the field's limit, not refused
    assert client.get("/f/" + "x" * 61).status_code in (400, 404)
    assert client.get("/f/nothing").status_code == 404
    weird = client.post(
        "/api/v1/public/forms/news", content=b"{", headers={"content-type": "application/json"}
    )
    assert weird.status_code == 422
    wrong = client.post("/api/v1/public/forms/news", json={"email": ["x"], "fields": {"a": 1}})
    assert wrong.status_code == 422


def test_over_the_rate_the_answer_is_429_in_words(settings: Settings, db: Database) -> None:
    _make_form(db)
    with TestClient(create_app(settings, database=db), client=("203.0.113.9", 5000)) as client:
        answers = [
            client.post(
                "/api/v1/public/forms/news",
                json={"email": f"p{i}@example.com", "token": _old_token()},
            )
            for i in range(21)
        ]
    assert [a.status_code for a in answers[:20]] == [200] * 20
    late = answers[20]
    assert late.status_code == 429
    assert 1 <= int(late.headers["retry-after"]) <= 600
    assert re.search(r"try again in \d+ minutes?", late.json()["detail"])
    assert late.headers["access-control-allow-origin"] == "*"
    assert _people(db) == 20


def test_json_endpoint_and_cors(client: TestClient, db: Database) -> None:
    _make_form(db, origins="https://blog.example.com")
    described = client.get(
        "/api/v1/public/forms/news", headers={"Origin": "https://blog.example.com"}
    )
    assert described.status_code == 200
    assert described.headers["access-control-allow-origin"] == "https://blog.example.com"
    body = described.json()
    assert body["wording"] == "Yes, send me the newsletter."
    assert body["fields"] == ["country"]
    preflight = client.options(
        "/api/v1/public/forms/news",
        headers={"Origin": "https://blog.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["access-control-allow-methods"]
    ok = client.post(
        "/api/v1/public/forms/news",
        headers={"Origin": "https://blog.example.com"},
        json={
            "email": "jane@example.com",
            "token": body["token"].replace(
                body["token"].split(".")[0], str(float(body["token"].split(".")[0]) - 5), 1
            ),
        },
    )
    # A token changed by hand is a forgery: answered like success, stored nothing.
    assert ok.status_code == 200
    assert ok.json()["ok"] is True
    assert _people(db) == 0
    real = client.post(
        "/api/v1/public/forms/news",
        headers={"Origin": "https://blog.example.com"},
        json={"email": "jane@example.com", "token": _old_token(), "fields": {"country": "FR"}},
    )
    assert real.status_code == 200
    assert real.json()["confirm"] is True
    assert _people(db) == 1
    other = client.post(
        "/api/v1/public/forms/news",
        headers={"Origin": "https://evil.example"},
        json={"email": "x@example.com", "token": _old_token()},
    )
    assert other.status_code == 403
    assert "access-control-allow-origin" not in other.headers
    missing = client.post("/api/v1/public/forms/news", json={"email": "y@example.com"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["field"] == "token"
    bad = client.post("/api/v1/public/forms/news", json={"email": "nope", "token": _old_token()})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "email"


def test_sign_ups_keep_the_browsers_time_zone_for_the_sequences(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    """A sequence waits until 09:00 *their* time: the hosted page, the JSON endpoint and the
    embeddable snippet send the browser's zone; one the server does not know is left out."""
    _make_form(db)
    page = client.get("/f/news")
    assert 'name="time_zone"' in page.text
    assert "resolvedOptions().timeZone" in page.text
    _post_page(client, "jane@example.com", time_zone="Europe/Berlin")
    _post_page(client, "odd@example.com", time_zone="Mars/Olympus_Mons")
    posted = client.post(
        "/api/v1/public/forms/news",
        json={"email": "kai@example.com", "token": _old_token(), "time_zone": "Pacific/Auckland"},
    )
    assert posted.status_code == 200
    long_zone = {"email": "lu@example.com", "token": _old_token(), "time_zone": "A/" + "b" * 98}
    assert client.post("/api/v1/public/forms/news", json=long_zone).status_code == 200
    with db.session(writer=False) as session:
        zones = {
            address: found.time_zone if found else "missing"
            for address in (
                "jane@example.com",
                "odd@example.com",
                "kai@example.com",
                "lu@example.com",
            )
            for found in [queries.find_by_email(session, address)]
        }
    assert zones == {
        "jane@example.com": "Europe/Berlin",
        "odd@example.com": None,
        "kai@example.com": "Pacific/Auckland",
        "lu@example.com": None,
    }
    sign_in(client, people["owner"])
    with db.session(writer=False) as session:
        form_id = forms.list_forms(session)[0].id
    snippet = client.get(f"/audience/forms/{form_id}").text
    assert "name=&#34;time_zone&#34;" in snippet
    assert "resolvedOptions().timeZone" in snippet


def test_the_confirmation_mail_goes_through_smtp_and_its_link_confirms(
    tmp_path: Path, database_url: str, db: Database
) -> None:
    _make_form(db)
    with smtp_server() as (handler, port):
        settings = Settings(
            env="test",
            data_dir=tmp_path / "data",
            database_url=database_url,
            secret_key=TEST_SECRET,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_starttls=False,
            mail_from="news@shop.example",
        )  # type: ignore[arg-type]
        with TestClient(create_app(settings, database=db)) as client:
            answer = _post_page(client, "jane@example.com")
            assert answer.status_code == 200  # type: ignore[attr-defined]
        assert len(handler.received) == 1
    message = email.message_from_bytes(handler.received[0].content)  # type: ignore[arg-type]
    assert message["To"] == "Jane <jane@example.com>"
    assert "List-Unsubscribe" not in message
    html = (
        next(p for p in message.walk() if p.get_content_type() == "text/html")
        .get_payload(decode=True)
        .decode()
    )  # type: ignore[union-attr]
    token = re.search(r"/audience/confirm/([A-Za-z0-9_.-]+)", html)
    assert token is not None
    with db.session() as session:
        service.confirm(session, TEST_SECRET, token.group(1))
    with db.session(writer=False) as session:
        found = queries.find_by_email(session, "jane@example.com")
    assert found is not None
    assert found.lists == {"News": "subscribed"}


def test_preference_centre_over_http(client: TestClient, db: Database) -> None:
    _make_form(db, double=False)
    _post_page(client, "jane@example.com")
    with db.session(writer=False) as session:
        person = session.scalar(select(Subscriber))
        assert person is not None
        url = preferences.preference_url("http://testserver", TEST_SECRET, person.id, person.email)
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="weekly"' in page.text
    saved = client.post(url, data={"csrf_token": csrf_from(page.text), "frequency": "monthly"})
    assert saved.status_code == 200
    assert "You left: News." in saved.text
    with db.session(writer=False) as session:
        found = queries.find_by_email(session, "jane@example.com")
    assert found is not None
    assert found.lists == {"News": "unsubscribed"}
    assert found.fields["frequency"] == "monthly"
    assert client.get(url[:-3] + "abc").status_code == 404
    assert client.get("/audience/preferences/12.x").status_code == 404


@pytest.mark.parametrize("role", ["staff", "owner"])
def test_only_the_owner_changes_forms(
    client: TestClient, db: Database, people: dict[str, str], role: str
) -> None:
    news = _make_form(db)
    sign_in(client, people[role])
    page = client.get("/audience/forms/new")
    if role == "staff":
        assert page.status_code == 403
        return
    data = {
        "csrf_token": csrf_from(page.text),
        "name": "Second",
        "slug": "Bad Slug",
        "lists": str(news),
        "wording": "Yes.",
    }
    refused = client.post("/audience/forms/new", data=data)
    assert refused.status_code == 400
    assert "slug:" in refused.text
    assert 'value="Second"' in refused.text
    created = client.post(
        "/audience/forms/new",
        data={**data, "slug": "second", "enabled": "1"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    form_url = created.headers["location"].split("?")[0]
    asked = client.post(form_url + "/delete", data={"csrf_token": data["csrf_token"]})
    assert "cannot be undone" in asked.text
    gone = client.post(
        form_url + "/delete",
        data={"csrf_token": data["csrf_token"], "confirm": "yes"},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    assert client.get("/f/second").status_code == 404


@pytest.mark.both_databases
def test_64_form_posts_at_once_without_a_5xx(settings: Settings, db: Database) -> None:
    _make_form(db)
    calls = [
        Call(
            "POST",
            "/api/v1/public/forms/news",
            {"email": "same@example.com" if i % 2 else f"p{i}@example.com", "token": _old_token()},
            headers={"X-Forwarded-For": f"198.51.100.{i}"},
        )
        for i in range(64)
    ]
    with live_server(settings, db) as url:
        responses = send_until_answered(url, calls)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 64}, [r.text for r in responses if r.status_code != 200][:3]
    assert _people(db) == 33


@pytest.mark.both_databases
def test_a_nul_in_a_form_field_is_refused_by_its_name_never_a_500(
    client: TestClient, db: Database
) -> None:
    """PostgreSQL stores no NUL in text: a custom field holding one was a 500 there."""
    _make_form(db)
    for fields in ({"field.country": "D\x00E"}, {"name": "J\x00ane"}, {"wh\x00at": "x"}):
        answer = _post_page(client, "jo@example.com", **fields)
        assert answer.status_code == 400, answer.text  # type: ignore[attr-defined]
        field = next(iter(fields)).replace("\x00", "")
        assert f"{field}: contains a NUL character" in answer.text  # type: ignore[attr-defined]
    assert _people(db) == 0
    assert _post_page(client, "jo@example.com").status_code == 200  # type: ignore[attr-defined]
    assert _people(db) == 1


def test_a_public_form_never_changes_an_existing_subscribers_details(
    client: TestClient, db: Database
) -> None:
    """Anyone can type any address into a form: it only fills blanks and joins the list."""
    _make_form(db)
    with db.session() as session:
        other = service.create_list(session, "Other", double_opt_in=False).id
        service.subscribe(
            session,
            TEST_SECRET,
            "carol@example.com",
            other,
            service.Consent(service.Source.MANUAL),
            name="Carol Real",
            fields={"plan": "pro"},
            time_zone="Europe/Paris",
        )
    posted = client.post(
        "/api/v1/public/forms/news",
        json={
            "email": "CAROL@example.com",
            "name": "Not Carol",
            "fields": {"country": "Evil"},
            "time_zone": "America/Los_Angeles",
            "token": _old_token(),
        },
    )
    assert posted.status_code == 200
    with db.session(writer=False) as session:
        carol = queries.find_by_email(session, "carol@example.com")
        assert carol is not None
        assert (carol.name, carol.time_zone) == ("Carol Real", "Europe/Paris")
        # An empty field is filled; the list is joined under its double opt-in.
        assert carol.fields == {"plan": "pro", "country": "Evil"}
        assert carol.lists == {"News": "unconfirmed", "Other": "subscribed"}
