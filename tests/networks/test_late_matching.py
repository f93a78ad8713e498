"""A network's postback matches its click whenever the click was answered: still in the spool,
or landing after the postback (matched by the periodic task)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.links import service as links
from evergreen.links.clicks.ingest import ClickPolicy, ingest_records
from evergreen.links.drafts import LinkDraft
from evergreen.networks import service
from evergreen.networks.models import Network, NetworkEarning
from evergreen.networks.tasks import run_late_matching
from evergreen.web import create_app

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"


def _network(db: Database) -> tuple[int, str, int]:
    """A network earning through affiliate link "amz" (which appends its click ID as subid)."""
    with db.session() as session:
        draft = LinkDraft(
            destination="https://shop.example/", slug="amz", kind="affiliate",
            append_click_id=True, click_id_param="subid",
        )  # fmt: skip
        link = links.create_link(session, draft).link
        network, secret = service.create_network(session, "Awin")
        service.assign_link(session, network, "amz")
        return network.id, secret, link.id


@pytest.fixture
def front_door(settings: Settings, db: Database) -> Iterator[TestClient]:
    """The app as `serve` runs it: clicks are spooled by the redirect and ingested elsewhere."""
    with TestClient(create_app(settings, database=db, background=False)) as client:
        yield client


def test_a_postback_right_after_its_redirect_matches_the_click(
    front_door: TestClient, db: Database
) -> None:
    network_id, secret, link_id = _network(db)
    redirect = front_door.get(
        "/go/amz?sub1=post7", headers={"User-Agent": UA}, follow_redirects=False
    )
    assert redirect.status_code == 302
    (click_id,) = parse_qs(urlsplit(redirect.headers["location"]).query)["subid"]
    sale = {"secret": secret, "oid": "o1", "subid": click_id, "payout": "4.20"}
    posted = front_door.get(f"/api/v1/networks/{network_id}/postback", params=sale)
    assert posted.status_code == 200, posted.text
    assert posted.json()["matched"] is True
    with db.session() as session:
        earning = session.scalars(select(NetworkEarning)).one()
        assert (earning.link_id, earning.note) == (link_id, "")
        assert earning.sub == {"sub1": "post7"}  # the sub-ID the click carried


def test_an_earning_before_its_click_is_matched_when_the_click_lands(
    db: Database, settings: Settings
) -> None:
    _network_id, secret, link_id = _network(db)
    click_id = "0190f0e5a1b2" + "d" * 20
    now = datetime.now(UTC)
    with db.session() as session:
        network = session.scalars(select(Network)).one()
        params = {"secret": secret, "oid": "o1", "subid": click_id, "payout": "4.20"}
        received = service.receive_postback(session, network, params, now)
        assert (received.stored, received.matched) == (True, False)
    assert run_late_matching(db, settings) == 0
    with db.session() as session:
        record = {"id": click_id, "l": link_id, "t": (now - timedelta(seconds=3)).timestamp(),
                  "v": "v1", "ua": UA, "q": {"sub1": "post7"}}  # fmt: skip
        assert ingest_records(session, [record], ClickPolicy()) == 1
    assert run_late_matching(db, settings) == 1
    assert run_late_matching(db, settings) == 0
    with db.session() as session:
        earning = session.scalars(select(NetworkEarning)).one()
        assert (earning.matched, earning.link_id, earning.note) == (True, link_id, "")
        assert earning.sub == {"sub1": "post7"}
