"""A broadcast to a segment of a list over HTTP: the compose page's optional segment (its
preview and confirmation count only the list's subscribed people in it), the broadcast page
naming it, and the API taking a segment by id or name; an unknown or deleted segment is a 4xx
naming `segment`, never a 500."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient

from evergreen.audience import service as audience
from evergreen.audience.rules import Source
from evergreen.audience.service import segments
from evergreen.db import Database
from evergreen.mail import queries
from tests.conftest import TEST_SECRET
from tests.http_helpers import csrf_from, sign_in, token_for


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


def _setup(db: Database) -> tuple[int, int]:
    """A list of three (one tagged buyer), a buyer on no list, and the segment Buyers."""
    with db.session() as session:
        news = audience.create_list(session, "News", double_opt_in=False).id
        other = audience.create_list(session, "Other", double_opt_in=False).id
        for address, tags, list_id in (
            ("ann@example.com", ["buyer"], news),
            ("bo@example.com", [], news),
            ("cy@example.com", [], news),
            ("dee@example.com", ["buyer"], other),
        ):
            audience.subscribe(session, TEST_SECRET, address, list_id,
                               audience.Consent(Source.API), tags=tags)  # fmt: skip
        return news, segments.create_segment(session, "Buyers", "tag:buyer").id


def _post(client: TestClient, url: str, token: str, **data: str) -> Any:
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def test_compose_to_a_segment_counts_previews_and_confirms_its_people(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    news, buyers = _setup(db)
    sign_in(client, people["owner"])
    page = client.get("/mail/new")
    token = csrf_from(page.text)
    assert f'<option value="{buyers}" >Buyers</option>' in page.text
    form = {"list_id": str(news), "segment": str(buyers), "subject": "Hi", "body": "Hello"}

    shown = _post(client, "/mail/new", token, **form, action="preview")
    assert shown.status_code == 200
    assert "Preview for ann@example.com" in _text(shown)  # someone in the segment
    assert "Goes to 1 person if sent now (subscribed to the list and in the segment)" in _text(
        shown
    )
    whole = _post(client, "/mail/new", token, **{**form, "segment": ""}, action="preview")
    assert "Goes to 3 people if sent now" in _text(whole)

    for bad in ("999999", "abc", "99999999999999999999999"):
        refused = _post(client, "/mail/new", token, **{**form, "segment": bad}, action="send")
        assert refused.status_code == 400, bad
        assert "segment:" in _text(refused), (bad, _text(refused)[:400])
    with db.session() as session:
        assert queries.broadcasts(session) == []

    asked = _post(client, "/mail/new", token, **form, action="send")
    assert asked.status_code == 200
    assert "Send to 1 people now?" in _text(asked)
    assert "who matches the segment “Buyers”" in _text(asked)
    sent = _post(client, "/mail/new", token, **form, action="send", confirm="yes")
    assert sent.status_code == 303
    detail = client.get(sent.headers["location"])
    assert 'id="broadcast-segment">Buyers<' in detail.text
    assert 'id="stat-recipients">1<' in detail.text
    assert "News · Buyers" in _text(client.get("/mail"))


def test_a_deleted_segment_stops_a_draft_on_its_page(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    news, buyers = _setup(db)
    sign_in(client, people["owner"])
    token = csrf_from(client.get("/mail/new").text)
    form = {"list_id": str(news), "segment": str(buyers), "subject": "Hi", "body": "Hello"}
    saved = _post(client, "/mail/new", token, **form, action="draft")
    assert saved.status_code == 303
    broadcast_id = int(saved.headers["location"].split("/")[-1].split("?")[0])
    with db.session() as session:
        segments.delete_segment(session, buyers)
    detail = client.get(f"/mail/broadcasts/{broadcast_id}")
    assert "Buyers (deleted segment)" in _text(detail)
    refused = _post(client, f"/mail/broadcasts/{broadcast_id}/send", token)
    assert refused.status_code == 400
    assert "segment" in _text(refused)
    assert "was deleted" in _text(refused)
    with db.session() as session:
        card = queries.broadcast_card(session, broadcast_id)
        assert card is not None
        assert card.status == "draft"


def test_the_api_takes_a_segment_by_id_or_name(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    news, buyers = _setup(db)
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    base = "/api/v1/mail/broadcasts"
    body = {"list_id": news, "subject": "Hi", "body": "Hello"}
    whole = client.post(base, json=body, headers=owner).json()
    assert (whole["segment"], whole["segment_id"], whole["recipients_now"]) == ("", None, 3)
    made = client.post(base, json={**body, "segment": "Buyers"}, headers=owner)
    assert made.status_code == 201
    one = made.json()
    assert (one["segment"], one["segment_id"], one["recipients_now"]) == ("Buyers", buyers, 1)
    path = f"{base}/{one['id']}"

    for bad in ("Nobody", 999999, 0, -1, 2**64, "x" * 101, ["Buyers"], {"id": buyers}):
        refused = client.post(base, json={**body, "segment": bad}, headers=owner)
        assert refused.status_code == 422, (bad, refused.text)
        assert "segment" in refused.text, (bad, refused.text)
    unknown = client.post(base, json={**body, "segment": "Nobody"}, headers=owner).json()
    assert unknown["detail"][0]["field"] == "segment"

    assert client.patch(path, json={"subject": "Kept"}, headers=owner).json()["segment_id"] == (
        buyers
    )
    cleared = client.patch(path, json={"segment": None}, headers=owner).json()
    assert (cleared["segment"], cleared["recipients_now"]) == ("", 3)
    again = client.patch(path, json={"segment": buyers}, headers=owner).json()
    assert (again["segment"], again["recipients_now"]) == ("Buyers", 1)

    with db.session() as session:
        segments.delete_segment(session, buyers)
    gone = client.get(path, headers=owner).json()
    assert (gone["segment"], gone["segment_id"], gone["recipients_now"]) == ("Buyers", None, None)
    kept = client.patch(path, json={"subject": "Still"}, headers=owner)
    assert kept.status_code == 422  # never widened to the whole list by leaving it out
    assert kept.json()["detail"][0]["field"] == "segment"
    refused = client.post(f"{path}/send", headers=owner)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "segment"
    sent = client.post(f"{base}/{whole['id']}/send", headers=owner).json()
    assert (sent["status"], sent["recipients_now"], sent["stats"]["waiting"]) == (
        "sending",
        None,
        3,
    )
