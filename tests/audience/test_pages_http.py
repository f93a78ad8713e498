"""The audience's pages over HTTP: lists, a person's history and actions, search, import, and
the public confirmation link; every refusal is a page that says what to fix, never a 500."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.audience import queries, service
from evergreen.audience.models import ConsentEvent
from evergreen.audience.rules import Source, confirm_token
from evergreen.audience.service import Consent
from evergreen.db import Database, utcnow
from tests.conftest import TEST_SECRET
from tests.http_helpers import csrf_from, sign_in

MAILCHIMP = (
    "Email Address,First Name,Last Name,OPTIN_TIME,OPTIN_IP,TAGS,MEMBER_RATING\n"
    'ann@example.com,Ann,Lee,2024-03-01 10:00:00,203.0.113.5,"""vip""",2\n'
    "broken,Bad,Row,,,,\n"
    'bo@example.com,Bo,,2024-03-02 11:00:00,,"""vip"",""buyer""",4\n'
)


def _owner(client: TestClient, people: dict[str, str], who: str = "owner") -> str:
    sign_in(client, people[who])
    return csrf_from(client.get("/audience").text)


def _post(client: TestClient, url: str, token: str, **data: str) -> Any:
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def _text(response: Any) -> str:
    """The page's words, without tags, as a reader sees them."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


def test_lists_page_adds_renames_and_deletes_a_list_after_confirming(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    token = _owner(client, people)
    assert "No lists yet" in client.get("/audience").text
    empty = _post(client, "/audience/lists", token, name="  ", double_opt_in="double")
    assert empty.status_code == 400
    assert "The list was not added: name: is required" in _text(empty)
    made = _post(client, "/audience/lists", token, name="Weekly letter", double_opt_in="single")
    assert made.status_code == 303
    list_id = int(made.headers["location"].split("/")[-1].split("?")[0])
    again = _post(client, "/audience/lists", token, name="Weekly letter")
    assert again.status_code == 400
    assert "already exists" in _text(again)
    odd = _post(client, "/audience/lists", token, name="X", double_opt_in="triple")
    assert odd.status_code == 400
    assert "choose double or single opt-in" in _text(odd)
    with db.session() as session:
        service.subscribe(session, TEST_SECRET, "ann@example.com", list_id, Consent(Source.API))

    page = client.get(f"/audience/lists/{list_id}")
    assert page.status_code == 200
    assert "ann@example.com" in page.text
    assert 'id="list-subscribed">1<' in page.text
    listing = _text(client.get("/audience"))
    assert "Weekly letter" in listing
    assert "single" in listing
    assert client.get(f"/audience/lists/{list_id}?status=gone").status_code == 400
    assert client.get("/audience/lists/999999").status_code == 404
    assert client.get("/audience/lists/99999999999999999999999").status_code == 400
    assert client.get(f"/audience/lists/{list_id}?page=0").status_code == 400

    _post(client, "/audience/lists", token, name="Other")
    clash = _post(client, f"/audience/lists/{list_id}", token, name="Other", double_opt_in="double")
    assert clash.status_code == 400
    assert "Not saved: name: a list named 'Other' already exists" in _text(clash)
    saved = _post(
        client, f"/audience/lists/{list_id}", token, name="Tips", description="Monthly",
        double_opt_in="double",
    )  # fmt: skip
    assert saved.status_code == 303
    exported = client.get(f"/audience/lists/{list_id}/export.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.text.splitlines()[1].startswith("ann@example.com,,subscribed")

    asked = _post(client, f"/audience/lists/{list_id}/delete", token)
    assert asked.status_code == 200
    assert "Delete the list Tips?" in _text(asked)
    assert "1 memberships" in _text(asked)
    assert client.get(f"/audience/lists/{list_id}").status_code == 200  # not deleted yet
    gone = _post(client, f"/audience/lists/{list_id}/delete", token, confirm="yes")
    assert gone.headers["location"] == "/audience?done=deleted"
    assert client.get(f"/audience/lists/{list_id}").status_code == 404
    with db.session() as session:
        person = queries.find_by_email(session, "ann@example.com")
        assert person is not None
        assert person.lists == {}


def test_staff_read_the_pages_and_the_owner_alone_changes_them(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        list_id = service.create_list(session, "News").id
        person = service.subscribe(
            session, TEST_SECRET, "jo@example.com", list_id, Consent(Source.API)
        ).subscriber.id
    token = _owner(client, people, "staff")
    assert client.get("/audience").status_code == 200
    assert "Add a list" not in client.get("/audience").text
    assert client.get(f"/audience/subscribers/{person}").status_code == 200
    assert _post(client, "/audience/lists", token, name="Mine").status_code == 403
    assert _post(client, f"/audience/subscribers/{person}/erase", token).status_code == 403
    assert client.get(f"/audience/subscribers/{person}/export.json").status_code == 403
    assert client.get(f"/audience/lists/{list_id}/export.csv").status_code == 403
    assert client.get("/audience/import").status_code == 403


def test_a_persons_page_shows_their_history_and_the_owner_acts_on_it(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        news = service.create_list(session, "News").id
        deals = service.create_list(session, "Deals", double_opt_in=False).id
    token = _owner(client, people)
    bad = _post(
        client, "/audience/subscribers/new", token, email="not-an-address", list_id=str(news)
    )
    assert bad.status_code == 400
    assert "Not added: email:" in _text(bad)
    no_list = _post(client, "/audience/subscribers/new", token, email="jo@example.com")
    assert no_list.status_code == 400
    assert "list: choose a list" in _text(no_list)
    zone = _post(
        client, "/audience/subscribers/new", token, email="jo@example.com", list_id=str(news),
        time_zone="Mars/Olympus",
    )  # fmt: skip
    assert zone.status_code == 400
    assert "is not a time zone" in _text(zone)
    added = _post(
        client, "/audience/subscribers/new", token, email="Jo@Example.com", name="Jo",
        list_id=str(news), tags="Buyer, vip", wording="Asked to join at the May workshop",
    )  # fmt: skip
    assert added.status_code == 200
    page = _text(added)
    assert "unconfirmed until they open the confirmation link" in page
    link = re.search(r"(http://testserver/audience/confirm/[A-Za-z0-9_.-]+)", page)
    assert link, page
    assert "Asked to join at the May workshop" in page
    assert "Added by owner@example.com" in page
    with db.session() as session:
        found = queries.find_by_email(session, "jo@example.com")
        assert found is not None
        person = found.id
        service.subscribe(
            session, TEST_SECRET, "jo@example.com", deals, Consent(Source.FORM, form="Footer",
            wording="Send me the deals, at most weekly"),
        )  # fmt: skip
        service.record_activity(session, person, "opened", "broadcast 7")
    url = f"/audience/subscribers/{person}"
    page = _text(client.get(url))
    assert "Send me the deals, at most weekly" in page
    assert "Footer" in page
    assert "opened" in page
    assert "broadcast 7" in page
    assert "buyer" in page
    assert "vip" in page

    assert _post(client, f"{url}/tags", token, tags="").status_code == 400
    assert _post(client, f"{url}/tags", token, tags="late-buyer").status_code == 303
    assert _post(client, f"{url}/tags/remove", token, tag="vip").status_code == 303
    assert _post(client, f"{url}/fields", token, field="country", value="DE").status_code == 303
    bad_field = _post(client, f"{url}/fields", token, field="9 lives", value="x")
    assert bad_field.status_code == 400
    assert "is not a field name" in _text(bad_field)
    bad_zone = _post(client, f"{url}/edit", token, name="Jo", time_zone="Nowhere/Land")
    assert bad_zone.status_code == 400
    assert (
        _post(client, f"{url}/edit", token, name="Jo Lee", time_zone="Europe/Berlin").status_code
        == 303
    )
    with db.session() as session:
        card = queries.card(session, person)
        assert card is not None
        assert card.tags == ["buyer", "late-buyer"]
        assert (card.fields, card.name, card.time_zone) == (
            {"country": "DE"},
            "Jo Lee",
            "Europe/Berlin",
        )

    left = _post(client, f"{url}/unsubscribe", token, list_id=str(deals))
    assert left.status_code == 303
    asked = _post(client, f"{url}/unsubscribe", token, list_id="")
    assert asked.status_code == 200
    assert "from every list?" in _text(asked)
    with db.session() as session:
        assert queries.lists_of(session, person) == {"Deals": "unsubscribed", "News": "unconfirmed"}
    _post(client, f"{url}/unsubscribe", token, list_id="", confirm="yes")
    with db.session() as session:
        assert queries.lists_of(session, person) == {
            "Deals": "unsubscribed",
            "News": "unsubscribed",
        }
    assert "Opted out" in client.get(url).text
    assert _post(client, f"{url}/unsubscribe", token, list_id="abc").status_code == 400

    exported = client.get(f"{url}/export.json")
    assert (
        exported.headers["content-disposition"]
        == f'attachment; filename="subscriber-{person}.json"'
    )
    data = exported.json()
    assert data["email"] == "Jo@example.com"
    assert [event["action"] for event in data["consent"]] == [
        "opt_in",
        "opt_in",
        "opt_out",
        "opt_out",
    ]

    asked = _post(client, f"{url}/erase", token)
    assert asked.status_code == 200
    assert "Erase Jo@example.com?" in _text(asked)
    assert client.get(url).status_code == 200
    erased = _post(client, f"{url}/erase", token, confirm="yes")
    assert erased.headers["location"] == "/audience/subscribers?done=erased"
    assert client.get(url).status_code == 404
    assert client.get(f"{url}/export.json").status_code == 404
    assert client.get("/audience/subscribers/0").status_code == 400
    assert client.get("/audience/subscribers/abc").status_code == 404


@pytest.mark.both_databases
def test_search_filters_and_refuses_bad_filters_in_words(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        news = service.create_list(session, "News", double_opt_in=False).id
        for index in range(55):
            service.subscribe(
                session, TEST_SECRET, f"p{index}@example.com", news, Consent(Source.API),
                tags=["buyer"] if index % 5 == 0 else [],
            )  # fmt: skip
    _owner(client, people)
    everyone = _text(client.get("/audience/subscribers"))
    assert "55 people" in everyone
    assert "Page 1 of 2" in everyone
    assert "p0@example.com" not in everyone  # newest first: on page 2
    assert "p0@example.com" in client.get("/audience/subscribers?page=2").text
    tagged = _text(client.get("/audience/subscribers", params={"tag": "Buyer", "list": str(news)}))
    assert "11 people" in tagged
    assert "1 person" in _text(client.get("/audience/subscribers", params={"q": "P54@"}))
    bad = client.get("/audience/subscribers", params={"status": "happy"})
    assert bad.status_code == 400
    assert "Not searched: status: must be one of" in _text(bad)
    assert client.get("/audience/subscribers", params={"list": "x"}).status_code == 400
    assert client.get("/audience/subscribers", params={"q": "x" * 5000}).status_code == 400
    far = client.get("/audience/subscribers?page=1000000").text
    assert "Nobody matches" in far
    assert 'href="/audience/subscribers?page=2"' in far


def test_import_previews_maps_and_imports_a_mailchimp_export(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    token = _owner(client, people)
    assert client.get("/audience/import").status_code == 200
    files = {"file": ("members.csv", MAILCHIMP.encode(), "text/csv")}
    shown = client.post("/audience/import", data={"csrf_token": token}, files=files)
    assert shown.status_code == 200, shown.text
    page = _text(shown)
    assert "Recognised as mailchimp" in page
    assert "3 rows: 2 to import (2 subscribed), 1 with errors (skipped)" in page
    assert "Line 3: Email Address:" in page
    upload_id = re.search(r'action="/audience/import/([A-Za-z0-9_-]+)"', shown.text)
    assert upload_id
    url = f"/audience/import/{upload_id.group(1)}"
    columns = MAILCHIMP.splitlines()[0].split(",")
    roles = ["email", "", "last_name", "opted_in_at", "opt_in_ip", "tags", "field:rating"]
    form: dict[str, Any] = {
        "csrf_token": token, "filename": "members.csv", "column": columns, "role": roles,
    }  # fmt: skip
    again = client.post(f"{url}/preview", data=form)
    assert again.status_code == 200
    assert "rating=2" in again.text
    assert ">Lee<" in again.text
    twice = ["email" if role == "" else role for role in roles]
    bad = client.post(f"{url}/preview", data={**form, "role": twice})
    assert bad.status_code == 400
    assert "exactly one column must be the email" in _text(bad)
    assert 'aria-invalid="true"' in bad.text
    short = client.post(f"{url}/preview", data={**form, "role": roles[:2]})
    assert short.status_code == 400
    assert "the column roles were not all sent" in _text(short)
    no_list = client.post(url, data=form)
    assert no_list.status_code == 400
    assert "list id: choose a list" in _text(no_list)

    done = client.post(url, data={**form, "new_list": "Imported"})
    assert done.status_code == 200, done.text
    result = _text(done)
    assert "into Imported (mailchimp format): 3 rows" in result
    assert "2 new people, 0 updated" in result
    assert "1 rows with errors" in result
    with db.session() as session:
        ann = queries.find_by_email(session, "ann@example.com")
        assert ann is not None
        assert (ann.name, ann.fields, ann.tags) == ("Lee", {"rating": "2"}, ["vip"])
        assert ann.lists == {"Imported": "subscribed"}
    gone = client.post(url, data={**form, "new_list": "Imported"})
    assert gone.status_code == 400
    assert "upload the file again" in _text(gone)

    for content, words in (
        (b"", "is empty"),
        (b"name,phone\nAnn,1\n", "no email column found"),
        (b"email\n\xff\xfe\n", "cannot be read as UTF-8 CSV"),
    ):
        refused = client.post(
            "/audience/import", data={"csrf_token": token},
            files={"file": ("x.csv", content, "text/csv")},
        )  # fmt: skip
        assert refused.status_code == 400, content
        assert words in _text(refused)
    none = client.post("/audience/import", data={"csrf_token": token})
    assert none.status_code == 400
    assert "choose a CSV file" in _text(none)


def test_the_confirmation_link_confirms_only_by_its_button(
    client: TestClient, db: Database
) -> None:
    with db.session() as session:
        news = service.create_list(session, "Weekly <tips>").id
        joined = service.subscribe(
            session, TEST_SECRET, "jo@example.com", news, Consent(Source.FORM, form="Footer")
        )
        person, link = joined.subscriber.id, joined.token
    assert link
    url = f"/audience/confirm/{link}"
    shown = client.get(url)  # anonymous, as from a mailbox
    assert shown.status_code == 200
    assert "Confirm your subscription to Weekly <tips>" in _text(shown)
    with db.session() as session:
        assert queries.lists_of(session, person) == {"Weekly <tips>": "unconfirmed"}
    done = client.post(url, data={"csrf_token": csrf_from(shown.text)})
    assert done.status_code == 200
    assert "You're subscribed" in _text(done)
    with db.session() as session:
        assert queries.lists_of(session, person) == {"Weekly <tips>": "subscribed"}
        event = session.scalars(select(ConsentEvent).where(ConsentEvent.action == "confirm")).one()
        assert event.wording == "Confirm your subscription to Weekly <tips>: [Yes, subscribe me]"
        assert event.ip_hash is not None
    assert "You had already confirmed" in _text(client.get(url))
    no_csrf = client.post(url, data={})
    assert no_csrf.status_code == 403

    for token, words in (
        ("nonsense", "not valid; check that it was copied whole"),
        (link[:-3] + "AAA", "not valid"),
        ("x" * 500, ""),
        (confirm_token(TEST_SECRET, person, news, utcnow() - timedelta(days=8))[0], "has expired"),
        (confirm_token(TEST_SECRET, 999, news, utcnow())[0], "no longer matches"),
    ):
        bad = client.get(f"/audience/confirm/{token}")
        assert bad.status_code == 400, token
        if words:
            assert "This link does not work" in _text(bad)
            assert words in _text(bad)
        posted = client.post(
            f"/audience/confirm/{token}", data={"csrf_token": csrf_from(shown.text)}
        )
        assert posted.status_code in (400, 403)
        assert "Traceback" not in posted.text
    with db.session() as session:
        service.unsubscribe(session, TEST_SECRET, person, news)
        fresh = confirm_token(TEST_SECRET, person, news, utcnow())[0]
    stale = client.get(f"/audience/confirm/{fresh}")
    assert stale.status_code == 400
    assert "you left the list" in _text(stale)
    refused = client.post(f"/audience/confirm/{fresh}", data={"csrf_token": csrf_from(shown.text)})
    assert refused.status_code == 400
    assert "sign up again" in _text(refused)


@pytest.mark.both_databases
def test_huge_and_odd_form_values_are_refused_in_words_never_a_500(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        news = service.create_list(session, "News").id
        person = service.subscribe(
            session, TEST_SECRET, "jo@example.com", news, Consent(Source.API)
        ).subscriber.id
    token = _owner(client, people)
    url = f"/audience/subscribers/{person}"
    for path, data, words in (
        ("/audience/lists", {"name": "x" * 30_000}, "name"),
        ("/audience/lists", {"name": "x" * 101}, "is longer than 100 characters"),
        ("/audience/lists", {"name": "News", "description": "d" * 600}, "longer than 500"),
        ("/audience/lists", {"name": "Line\nbreak"}, "may not contain line breaks"),
        (f"{url}/tags", {"tags": "t" * 150}, "is longer than 100 characters"),
        (f"{url}/fields", {"field": "note", "value": "v" * 1500}, "is longer than 1000"),
        (f"{url}/edit", {"name": "n" * 300}, "is longer than 200 characters"),
        (f"{url}/unsubscribe", {"list_id": "9" * 30}, "is not a list"),
        ("/audience/subscribers/new", {"email": "a@b.co", "list_id": "999999"}, "no list"),
        ("/audience/subscribers/new", {"email": "@" * 400, "list_id": str(news)}, "email"),
        ("/audience/import/x/preview", {}, "upload the file again"),
        ("/audience/import/" + "y" * 64, {"new_list": "N"}, "upload the file again"),
    ):
        answer = _post(client, path, token, **data)
        assert answer.status_code in (400, 404), (path, answer.status_code)
        assert words in _text(answer), (path, _text(answer)[-600:])
    assert client.get("/audience/import/" + "z" * 65).status_code in (404, 405)
    with db.session() as session:
        card = queries.card(session, person)
        assert card is not None
        assert (card.name, card.tags, card.lists) == ("", [], {"News": "unconfirmed"})
