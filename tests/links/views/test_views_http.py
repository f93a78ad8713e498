"""The link pages over HTTP: list, create, detail with clicks, edit, delete, import, access."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from evergreen.db import Database
from evergreen.links import service
from evergreen.links.drafts import LinkDraft
from evergreen.links.models import Link
from tests.http_helpers import csrf_from, sign_in

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def _make(db: Database, **fields: Any) -> str:
    draft = LinkDraft(**{"destination": "https://shop.example/book", **fields})
    with db.session() as session:
        return service.create_link(session, draft).link.slug


def _slugs(db: Database) -> list[str]:
    with db.session() as session:
        links, _total = service.list_links(session)
        return [link.slug for link in links]


def _form(client: TestClient, path: str, **fields: str) -> dict[str, str]:
    """A form post body with the page's CSRF token and the usual defaults."""
    token = csrf_from(client.get(path).text)
    base = {"csrf_token": token, "kind": "own", "redirect_status": "302"}
    return {**base, "forward_query": "on", "forward_tracking": "on", **fields}


def _click(client: TestClient, slug: str, agent: str = CHROME) -> None:
    """A visitor's click: no dashboard cookie, which would make it the owner's own traffic."""
    visitor = TestClient(client.app)
    response = visitor.get(f"/go/{slug}", headers={"User-Agent": agent}, follow_redirects=False)
    assert response.status_code == 302


@pytest.mark.both_databases
def test_list_with_search_filters_counts_and_paging(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _make(db, slug="book", title="The book", channel="blog", tags=["launch"])
    _make(db, slug="course", destination="https://school.example/", channel="email")
    _click(client, "book")
    sign_in(client, people["staff"])
    page = client.get("/links")
    assert page.status_code == 200
    assert 'href="/links/book"' in page.text
    assert "/go/book" in page.text
    assert "The book" in page.text
    filtered = client.get("/links", params={"channel": "email"})
    assert 'href="/links/course"' in filtered.text
    assert 'href="/links/book"' not in filtered.text
    assert 'href="/links/book"' in client.get("/links", params={"tag": "launch"}).text
    assert 'href="/links/course"' in client.get("/links", params={"q": "school"}).text
    row = re.search(r'href="/links/book".*?</tr>', page.text, re.S)
    assert row is not None
    assert '<td class="num">1</td>' in row.group(0)

    with db.session() as session:  # paging: 50 a page, newest first
        session.add_all(
            Link(slug=f"l{i:03d}", destination="https://a.example/", tags=[]) for i in range(55)
        )
    first = client.get("/links")
    assert first.text.count('<tr>\n      <td><a href="/links/') == 50
    assert "page 1 of 2" in first.text
    second = client.get(
        re.sub(
            r".*href=\"(/links\?[^\"]*)\" rel=\"next\".*", r"\1", first.text, flags=re.S
        ).replace("&amp;", "&")
    )
    assert 'href="/links/l000"' not in first.text
    assert 'href="/links/l000"' in second.text
    assert 'href="/links/book"' in second.text


def test_create_through_the_form_then_detail(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    sign_in(client, people["owner"])
    body = _form(
        client,
        "/links/new",
        destination="https://shop.example/deal",
        slug="Deal",
        title="Spring deal",
        channel="Blog",
        tags="launch, spring",
        utm_source="blog",
        redirect_status="301",
        expires_at="2030-01-31T23:59",
        target_ios="https://apps.apple.com/app/id1",
        countries="DE https://shop.example/de\nfr https://shop.example/fr",
    )
    response = client.post("/links/new", data=body, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/links/deal?saved=created"
    detail = client.get(response.headers["location"])
    assert "Link created" in detail.text
    assert "301 is cached by browsers" in detail.text
    assert "<svg" in detail.text
    with db.session() as session:
        link = service.get_link(session, "deal")
        assert link.tags == ["launch", "spring"]
        assert link.utm == {"utm_source": "blog"}
        assert link.targets == {
            "devices": {"ios": "https://apps.apple.com/app/id1"},
            "countries": {"DE": "https://shop.example/de", "FR": "https://shop.example/fr"},
        }
        assert link.expires_at is not None
        assert link.expires_at.isoformat() == "2030-01-31T23:59:00+00:00"
        assert link.channel == "blog"
        assert link.redirect_status == 301
        assert not link.append_click_id


def test_form_errors_are_shown_at_their_field(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _make(db, slug="book")
    sign_in(client, people["staff"])
    body = _form(client, "/links/new", destination="javascript:alert(1)", slug="x1")
    response = client.post("/links/new", data=body)
    assert response.status_code == 400
    assert "must start with http:// or https://" in response.text
    assert 'id="error-destination"' in response.text
    assert 'value="x1"' in response.text  # what was typed is kept
    taken = _form(client, "/links/new", destination="https://other.example/", slug="BOOK")
    response = client.post("/links/new", data=taken)
    assert response.status_code == 400
    assert "&#39;book&#39; is already used by another link" in response.text
    assert 'id="error-slug"' in response.text
    for field, value in [("countries", "DE"), ("expires_at", "soon"), ("target_ios", "x:y")]:
        body = _form(client, "/links/new", destination="https://a.example/", **{field: value})
        response = client.post("/links/new", data=body)
        assert response.status_code == 400
        assert f'id="error-{field}"' in response.text
    assert _slugs(db) == ["book"]


def test_edit_changes_where_the_link_goes_then_delete(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _make(db, slug="book")
    sign_in(client, people["staff"])
    form = client.get("/links/book/edit")
    assert 'value="https://shop.example/book"' in form.text
    body = _form(client, "/links/book/edit", destination="https://shop.example/v2", slug="book")
    response = client.post("/links/book/edit", data=body, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/links/book?saved=updated"
    client.app.state.links.cache.refresh()  # type: ignore[attr-defined]
    followed = client.get("/go/book", follow_redirects=False)
    assert followed.headers["location"] == "https://shop.example/v2"
    bad = _form(client, "/links/book/edit", destination="ftp://shop.example/")
    assert client.post("/links/book/edit", data=bad).status_code == 400

    token = csrf_from(client.get("/links/book").text)
    asked = client.post("/links/book/delete", data={"csrf_token": token})
    assert asked.status_code == 200
    assert "Delete the link /book?" in asked.text  # the second step, without JavaScript
    assert _slugs(db) == ["book"]
    deleted = client.post("/links/book/delete", data={"csrf_token": token, "confirm": "yes"})
    assert deleted.status_code == 200
    assert "The link was deleted" in deleted.text
    assert _slugs(db) == []
    missing = client.get("/links/book")
    assert missing.status_code == 404
    assert "No link with slug &#39;book&#39;." in missing.text
    again = client.post("/links/book/delete", data={"csrf_token": token, "confirm": "yes"})
    assert again.status_code == 404


def test_import_reports_created_and_refused_rows(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    sign_in(client, people["staff"])
    token = csrf_from(client.get("/links/import").text)
    text = "destination,slug\nhttps://shop.example/a,good\njavascript:alert(1),bad\n"
    response = client.post(
        "/links/import",
        data={"csrf_token": token},
        files={"file": ("links.csv", text.encode(), "text/csv")},
    )
    assert response.status_code == 200
    assert "Created 1 link" in response.text
    assert "line 3: destination: must start with http:// or https://" in response.text
    assert _slugs(db) == ["good"]
    pasted = client.post(
        "/links/import", data={"csrf_token": token, "text": "url\nhttps://x.example/\n"}
    )
    assert "Created 1 link" in pasted.text
    empty = client.post("/links/import", data={"csrf_token": token})
    assert empty.status_code == 400
    assert "Choose a CSV file or paste CSV text" in empty.text


def test_detail_counts_clicks_and_marks_an_agent_human(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _make(db, slug="book")
    for _ in range(3):
        _click(client, "book")
    _click(client, "book", agent=BOT)
    sign_in(client, people["staff"])
    client.get("/go/book", headers={"User-Agent": CHROME}, follow_redirects=False)  # own click
    page = client.get("/links/book")
    assert page.status_code == 200
    assert '<span class="number" id="human-clicks">3</span>' in page.text
    assert '<span class="number" id="unique-clicks">1</span>' in page.text
    assert '<span class="number" id="total-clicks">5</span>' in page.text
    assert "Your own traffic" in page.text
    assert "Bots" in page.text
    assert '<svg viewBox="0 0 760 230"' in page.text
    assert 'class="human"' in page.text
    assert "Chrome" in page.text  # the browser breakdown
    overview = client.get("/links/stats")
    assert '<span class="number" id="human-clicks">3</span>' in overview.text
    csv_text = client.get("/links/book/clicks.csv").text
    assert csv_text.count("\n") == 6
    qr = client.get("/links/book/qr.png")
    assert qr.headers["content-type"] == "image/png"
    assert qr.content.startswith(b"\x89PNG")
    export = client.get("/links/export.csv")
    assert "https://shop.example/book" in export.text
    assert export.headers["content-disposition"] == 'attachment; filename="links.csv"'

    assert "Googlebot" in page.text  # offered among the agents not counted
    response = client.post(
        "/links/reclassify",
        data={"csrf_token": csrf_from(page.text), "slug": "book", "user_agent": BOT},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/links/book?marked=1"
    after = client.get(response.headers["location"])
    assert '<span class="number" id="human-clicks">4</span>' in after.text
    blank = client.post(
        "/links/reclassify", data={"csrf_token": csrf_from(page.text), "slug": "book"}
    )
    assert blank.status_code == 400
    assert "Enter the user agent" in blank.text


def test_partners_are_refused_and_strangers_sent_to_sign_in(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _make(db, slug="book")
    for path in ("/links", "/links/new", "/links/book", "/links/stats", "/links/export.csv"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=/links")
    token = csrf_from(client.get("/login").text)
    sign_in(client, people["partner"])
    assert client.get("/links").status_code == 403
    assert client.get("/links/book").status_code == 403
    refused = client.post("/links/book/delete", data={"csrf_token": token})
    assert refused.status_code == 403
    assert _slugs(db) == ["book"]


def test_user_text_is_escaped(client: TestClient, db: Database, people: dict[str, str]) -> None:
    _make(db, slug="xss", title="<script>alert(1)</script>", tags=["<b>bold</b>"])
    sign_in(client, people["staff"])
    for path in ("/links", "/links/xss", "/links/xss/edit"):
        page = client.get(path)
        assert "<script>alert(1)</script>" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert "<b>bold</b>" not in page.text
