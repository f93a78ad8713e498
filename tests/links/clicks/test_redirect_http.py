"""The redirect over HTTP: destinations, headers, forwarding, targeting, refusals, and counting."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.links import service
from evergreen.links.drafts import LinkDraft
from evergreen.links.models import Click
from evergreen.web import create_app
from tests.http_helpers import sign_in

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"


def _make(db: Database, **fields: object) -> str:
    draft = LinkDraft(**{"destination": "https://shop.example/book", **fields})  # type: ignore[arg-type]
    with db.session() as session:
        return service.create_link(session, draft).link.slug


def _stats(client: TestClient, slug: str) -> dict[str, object]:
    client.app.state.links.ingest_spooled()  # type: ignore[attr-defined]
    from evergreen.links.clicks.stats import link_stats

    db: Database = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as session:
        link = service.get_link(session, slug)
        return link_stats(session, link.id).to_dict()


def test_redirects_with_no_caching(client: TestClient, db: Database) -> None:
    slug = _make(db, slug="Book")
    response = client.get("/go/BOOK", headers={"User-Agent": CHROME}, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "https://shop.example/book"
    assert "no-store" in response.headers["cache-control"]
    assert response.headers["x-robots-tag"] == "noindex"
    assert _stats(client, slug)["clicks"] == 1


def test_forwarding_utm_click_id_and_cookie(client: TestClient, db: Database) -> None:
    _make(
        db,
        slug="deal",
        utm={"utm_source": "blog"},
        append_click_id=True,
        set_cookie=True,
        redirect_status=307,
    )
    response = client.get(
        "/go/deal?sub1=sidebar&color=red", headers={"User-Agent": CHROME}, follow_redirects=False
    )
    assert response.status_code == 307
    query = dict(parse_qsl(urlsplit(response.headers["location"]).query))
    assert query["utm_source"] == "blog"
    assert query["sub1"] == "sidebar"
    assert query["color"] == "red"
    assert len(query["evg_id"]) == 32
    assert f"evg_click={query['evg_id']}" in response.headers["set-cookie"]
    assert "HttpOnly" in response.headers["set-cookie"]
    # The same query again (its destination is memoised): a new click ID, stored with the click.
    again = client.get(
        "/go/deal?sub1=sidebar&color=red", headers={"User-Agent": CHROME}, follow_redirects=False
    )
    second = dict(parse_qsl(urlsplit(again.headers["location"]).query))
    assert second["evg_id"] != query["evg_id"]
    assert {k: v for k, v in second.items() if k != "evg_id"} == {
        k: v for k, v in query.items() if k != "evg_id"
    }
    client.app.state.links.ingest_spooled()  # type: ignore[attr-defined]
    with db.session() as session:
        stored = dict(session.execute(select(Click.click_id, Click.destination)).all())
    assert stored[second["evg_id"]] == again.headers["location"]
    assert stored[query["evg_id"]] == response.headers["location"]


def test_device_targeting(client: TestClient, db: Database) -> None:
    _make(db, slug="app", targets={"devices": {"ios": "https://apps.apple.com/app/id1"}})
    iphone = client.get("/go/app", headers={"User-Agent": IPHONE}, follow_redirects=False)
    desktop = client.get("/go/app", headers={"User-Agent": CHROME}, follow_redirects=False)
    assert iphone.headers["location"] == "https://apps.apple.com/app/id1"
    assert desktop.headers["location"] == "https://shop.example/book"


def test_unknown_disabled_and_expired_links_are_404(client: TestClient, db: Database) -> None:
    _make(db, slug="off", disabled=True)
    _make(db, slug="old", expires_at=datetime.now(UTC) - timedelta(minutes=1))
    for path in ("/go/nope", "/go/off", "/go/old"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 404, path
        assert "This link is not available" in response.text


@pytest.mark.both_databases
@pytest.mark.parametrize(
    "path", ["/go/%FF%FE", "/go/a..b", "/go/" + "x" * 500, "/go/-x", "/go/a/b/c", "/go/%00"]
)
def test_malformed_slugs_are_404_never_500(client: TestClient, path: str) -> None:
    assert client.get(path, follow_redirects=False).status_code == 404


@pytest.mark.both_databases
def test_huge_query_is_refused_and_hostile_headers_still_redirect(
    client: TestClient, db: Database
) -> None:
    slug = _make(db, slug="safe")
    assert client.get("/go/safe?q=" + "a" * 9000, follow_redirects=False).status_code == 400
    hostile = {
        "User-Agent": "x" * 10_000,
        "Referer": "\u00ff\u00fe not a url",
        "Cookie": "evergreen_session; ;;=;",
        "Sec-Purpose": "",
    }
    headers = {k: v.encode("latin-1") for k, v in hostile.items()}
    response = client.get(
        "/go/safe?%FF=%FE&sub2=%E2%9C%93", headers=headers, follow_redirects=False
    )
    assert response.status_code == 302
    assert _stats(client, slug)["total_clicks"] == 1


def test_head_prefetch_and_preview_are_kept_but_not_counted(
    client: TestClient, db: Database
) -> None:
    slug = _make(db, slug="count")
    assert client.head("/go/count", follow_redirects=False).status_code == 302
    client.get(
        "/go/count",
        headers={"Sec-Purpose": "prefetch", "User-Agent": CHROME},
        follow_redirects=False,
    )
    client.get("/go/count", headers={"User-Agent": "Twitterbot/1.0"}, follow_redirects=False)
    client.get("/go/count", headers={"User-Agent": CHROME}, follow_redirects=False)
    stats = _stats(client, slug)
    assert (stats["total_clicks"], stats["clicks"], stats["non_human_clicks"]) == (4, 1, 3)
    assert stats["non_human_by_class"] == {"head": 1, "prefetch": 1, "preview": 1}
    assert client.post("/go/count").status_code == 405


def test_signed_in_team_clicks_are_internal(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    slug = _make(db, slug="mine")
    sign_in(client, people["owner"])
    client.get("/go/mine", headers={"User-Agent": CHROME}, follow_redirects=False)
    assert _stats(client, slug)["non_human_by_class"] == {"internal": 1}


def _click_with(client: TestClient, slug: str, cookie: str) -> None:
    client.cookies.clear()
    headers = {"User-Agent": CHROME, "Cookie": cookie}
    assert client.get(f"/go/{slug}", headers=headers, follow_redirects=False).status_code == 302


def test_only_a_valid_owner_or_staff_session_makes_a_click_internal(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    slug = _make(db, slug="theirs")
    cookies: dict[str, str] = {}
    for role in ("owner", "staff", "partner"):
        client.cookies.clear()
        sign_in(client, people[role])
        cookies[role] = client.cookies["evergreen_session"]
    token, _role, stamp, mac = cookies["partner"].split(".")
    counted = [
        f"evergreen_session={cookies['partner']}",  # a partner signed in to the portal
        f"x_evergreen_session={cookies['owner']}",  # another cookie's name only contains it
        f"evergreen_session_old={cookies['owner']}",
        "evergreen_session=anything",
        f"evergreen_session={token}.owner.{stamp}.{mac}",  # the role changed: the MAC fails
    ]
    for cookie in counted:
        _click_with(client, slug, cookie)
    stats = _stats(client, slug)
    assert (stats["total_clicks"], stats["non_human_clicks"]) == (5, 0)
    _click_with(client, slug, f"theme=dark; evergreen_session={cookies['owner']}")
    _click_with(client, slug, f"evergreen_session={cookies['staff']}")
    assert _stats(client, slug)["non_human_by_class"] == {"internal": 2}


@pytest.fixture
def link_domain_client(settings: Settings, db: Database) -> Iterator[TestClient]:
    """An app that also answers on a dedicated link domain."""
    custom = settings.model_copy(update={"link_domain": "go.example"})
    with TestClient(create_app(custom, database=db)) as test_client:
        yield test_client


def test_dedicated_link_domain_serves_slugs_at_the_root(
    link_domain_client: TestClient, db: Database
) -> None:
    _make(db, slug="root")
    response = link_domain_client.get(
        "/root", headers={"Host": "go.example"}, follow_redirects=False
    )
    assert response.status_code == 302
    assert response.headers["location"] == "https://shop.example/book"
    # The app itself still answers on its own host.
    assert link_domain_client.get("/healthz").status_code == 200


def _visible_ascii(value: bytes) -> bool:
    return all(0x21 <= byte <= 0x7E for byte in value)


@pytest.mark.parametrize(
    ("stored", "location"),
    [
        ("https://shop.example/a\x7fb", b"https://shop.example/a%7Fb"),
        ("https://shop.example/a b", b"https://shop.example/a%20b"),
        ("https://shop.example/caf\u00e9?q=\u20ac", b"https://shop.example/caf%C3%A9?q=%E2%82%AC"),
    ],
)
def test_a_destination_stored_before_the_check_still_gets_a_valid_location(
    client: TestClient, db: Database, stored: str, location: bytes
) -> None:
    from evergreen.links.models import Link

    slug = _make(db, slug="old")
    with db.session() as session:  # as an older version (or a hand edit) may have stored it
        session.execute(Link.__table__.update().values(destination=stored))
    response = client.get(f"/go/{slug}", headers={"User-Agent": CHROME}, follow_redirects=False)
    assert response.status_code == 302
    assert dict(response.headers.raw)[b"location"] == location
    assert _visible_ascii(location)
    assert _stats(client, slug)["clicks"] == 1


def test_every_location_is_visible_ascii_whatever_the_destination() -> None:
    from evergreen.links.clicks.redirect import _location

    for destination in [
        "https://a.example/\ud800",
        "https://a.example/\x00\x7f\x85",
        "https://a.example/ok",
    ]:
        assert _visible_ascii(_location(destination))


def test_a_destination_a_header_cannot_carry_is_refused_by_the_api(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    from tests.http_helpers import token_for

    headers = {
        "Authorization": f"Bearer {token_for(db, people['owner'])}",
        "Content-Type": "application/json",
    }
    for body in [
        b'{"destination": "https://shop.example/a\\u007fb"}',
        b'{"destination": "https://shop.example/a\\u0085b"}',
        b'{"destination": "https://shop.example/\\ud800"}',
    ]:
        response = client.post("/api/v1/links", content=body, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["field"] == "destination"
