"""The mail pages and API over HTTP: compose with a strict preview, save, schedule, send now
after a confirmation, pause, resume, cancel after a confirmation; every refusal says what to
fix (a 4xx naming the field), never a 500."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from evergreen.audience import service as audience
from evergreen.audience.rules import Source
from evergreen.db import Database, utcnow
from evergreen.mail import queries
from evergreen.mail import service as mail_service
from evergreen.mail.models import Broadcast
from tests.conftest import TEST_SECRET
from tests.http_helpers import csrf_from, sign_in, token_for


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


def _list(db: Database, emails: list[str], name: str = "News") -> int:
    with db.session() as session:
        list_id = audience.create_list(session, name, double_opt_in=False).id
        for address in emails:
            audience.subscribe(
                session,
                TEST_SECRET,
                address,
                list_id,
                audience.Consent(Source.API),
                name=address.split("@")[0].title(),
            )
    return list_id


def _post(client: TestClient, url: str, token: str, **data: str) -> Any:
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def test_compose_previews_strictly_then_sends_after_confirming(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    list_id = _list(db, ["ann@example.com", "bo@example.com"])
    sign_in(client, people["owner"])
    page = client.get("/mail/new")
    assert page.status_code == 200
    token = csrf_from(page.text)
    assert "News (2 subscribed)" in _text(page)
    form = {"list_id": str(list_id), "subject": "Hi {{ subscriber.name }}", "format": "markdown"}

    shown = _post(
        client, "/mail/new", token, **form, body="**Hello** {{ subscriber.name }}",
        preview_email="bo@example.com", action="preview",
    )  # fmt: skip
    assert shown.status_code == 200
    assert "Preview for bo@example.com" in _text(shown)
    assert 'id="preview-subject">Hi Bo<' in shown.text
    assert "&lt;strong&gt;Hello&lt;/strong&gt; Bo" in shown.text  # the HTML, in the srcdoc
    first = _post(client, "/mail/new", token, **form, body="Hi", action="preview")
    assert re.search(r"Preview for (ann|bo)@example.com", _text(first))

    strict = _post(
        client, "/mail/new", token, **form, body="From {{ subscriber.fields.city }}",
        action="preview",
    )  # fmt: skip
    assert strict.status_code == 400
    assert "Not done: body:" in _text(strict)
    assert "city" in _text(strict)
    nobody = _post(
        client, "/mail/new", token, **form, body="x", preview_email="zed@example.com",
        action="preview",
    )  # fmt: skip
    assert nobody.status_code == 400
    assert "preview email: no subscriber zed@example.com" in _text(nobody)
    for bad, field in (
        ({"list_id": ""}, "list id: choose the list"),
        ({"list_id": "abc"}, "list id: 'abc' is not a list"),
        ({"list_id": "99999999999999999999999"}, "is not a list"),
        ({"subject": " "}, "subject: is empty"),
        ({"subject": "x" * 999}, "subject: is longer than 998 characters"),
        ({"body": "{{ broken"}, "body:"),
        ({"format": "rtf"}, "format: must be markdown or html"),
        ({"action": "launch"}, "action:"),
        ({"action": "schedule", "scheduled_at": "soon"}, "scheduled at: give a date"),
        ({"action": "schedule", "scheduled_at": "2001-01-01T09:00"}, "must be in the future"),
    ):
        answer = _post(client, "/mail/new", token, **{**form, "body": "Hi", "action": "send",
                                                        **bad})  # fmt: skip
        assert answer.status_code == 400, bad
        assert field in _text(answer), (bad, _text(answer)[:500])
    with db.session() as session:
        assert queries.broadcasts(session) == []  # nothing refused was kept

    asked = _post(client, "/mail/new", token, **form, body="Hi", action="send")
    assert asked.status_code == 200
    assert "Send to 2 people now?" in _text(asked)
    with db.session() as session:
        assert queries.broadcasts(session) == []  # asking stores nothing
    sent = _post(client, "/mail/new", token, **form, body="Hi", action="send", confirm="yes")
    assert sent.status_code == 303
    detail = client.get(sent.headers["location"])
    assert detail.status_code == 200
    assert 'id="stat-recipients">2<' in detail.text
    assert 'id="stat-queued">2<' in detail.text
    assert "sending" in _text(detail)
    listing = _text(client.get("/mail"))
    assert "Hi {{ subscriber.name }}" in listing
    assert "sending" in listing

    broadcast_id = int(sent.headers["location"].split("/")[-1].split("?")[0])
    paused = _post(client, f"/mail/broadcasts/{broadcast_id}/pause", token)
    assert paused.status_code == 303
    assert "paused" in _text(client.get(paused.headers["location"]))
    again = _post(client, f"/mail/broadcasts/{broadcast_id}/pause", token)
    assert again.status_code == 400
    assert "cannot pause a paused broadcast" in _text(again)
    assert _post(client, f"/mail/broadcasts/{broadcast_id}/resume", token).status_code == 303
    ask = _post(client, f"/mail/broadcasts/{broadcast_id}/cancel", token)
    assert ask.status_code == 200
    assert "Nobody not yet sent to will get it" in _text(ask)
    with db.session() as session:
        card = queries.broadcast_card(session, broadcast_id)
        assert card is not None
        assert card.status == "sending"
    done = _post(client, f"/mail/broadcasts/{broadcast_id}/cancel", token, confirm="yes")
    assert done.status_code == 303
    cancelled = client.get(done.headers["location"])
    assert 'id="stat-skipped">2<' in cancelled.text
    assert "Cancel broadcast" not in cancelled.text
    assert _post(client, f"/mail/broadcasts/{broadcast_id}/launch", token).status_code == 400
    assert client.get("/mail/broadcasts/999999").status_code == 404
    assert client.get("/mail/broadcasts/99999999999999999999999").status_code in (400, 404)


def test_drafts_and_schedules_from_the_page_and_staff_only_read(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    list_id = _list(db, ["ann@example.com"])
    sign_in(client, people["owner"])
    entry = re.search(
        r'<a href="/mail"[^>]*>Mail( <span class="tag">coming</span>)?', client.get("/").text
    )
    assert entry, "mail is in the navigation"
    assert entry.group(1) is None, "mail is shown as coming"
    token = csrf_from(client.get("/mail/new").text)
    form = {"list_id": str(list_id), "subject": "Later", "body": "Hi", "format": "markdown"}
    draft = _post(client, "/mail/new", token, **form, action="draft")
    assert draft.status_code == 303
    assert "Draft saved." in _text(client.get(draft.headers["location"]))
    when = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    scheduled = _post(client, "/mail/new", token, **form, action="schedule", scheduled_at=when)
    assert scheduled.status_code == 303
    page = _text(client.get(scheduled.headers["location"]))
    assert f"sends at {when.replace('T', ' ')} UTC" in page
    assert "Back to draft" in page

    client.cookies.clear()
    sign_in(client, people["staff"])
    listing = client.get("/mail")
    assert listing.status_code == 200
    assert "Later" in listing.text
    assert "New broadcast" not in listing.text
    assert client.get("/mail/new").status_code == 403


def test_the_api_writes_reads_and_acts_on_broadcasts(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    list_id = _list(db, ["ann@example.com", "bo@example.com"])
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    base = "/api/v1/mail/broadcasts"
    body = {"list_id": list_id, "subject": "Hi {{ subscriber.name }}", "body": "Hello"}
    assert client.post(base, json=body, headers=staff).status_code == 403
    made = client.post(base, json=body, headers=owner)
    assert made.status_code == 201
    one = made.json()
    assert one["status"] == "draft"
    assert one["stats"]["recipients"] == 0
    path = f"{base}/{one['id']}"

    for bad, field in (
        ({**body, "subject": ""}, "subject"),
        ({**body, "subject": "x" * 999}, "subject"),
        ({**body, "body": "{% for %}"}, "body"),
        ({**body, "list_id": 999999}, "no list 999999"),
        ({**body, "list_id": 0}, "list_id"),
        ({**body, "format": "rtf"}, "format"),
        ({"subject": "x"}, "list_id"),
    ):
        refused = client.post(base, json=bad, headers=owner)
        assert refused.status_code in (404, 422), (bad, refused.text)
        assert field in refused.text, (bad, refused.text)

    patched = client.patch(path, json={"subject": "Changed"}, headers=owner)
    assert patched.status_code == 200
    assert patched.json()["subject"] == "Changed"
    assert patched.json()["list_id"] == list_id
    past = client.post(
        f"{path}/schedule", json={"scheduled_at": "2001-01-01T00:00:00+00:00"}, headers=owner
    )
    assert past.status_code == 422
    assert past.json()["detail"][0]["field"] == "scheduled_at"
    no_zone = {"scheduled_at": "2099-01-01T00:00"}
    naive = client.post(f"{path}/schedule", json=no_zone, headers=owner)
    assert naive.status_code == 422
    assert client.post(f"{path}/launch", headers=owner).status_code == 422
    assert client.post(f"{path}/resume", headers=owner).status_code == 422

    sent = client.post(f"{path}/send", headers=owner)
    assert sent.status_code == 200
    assert sent.json()["status"] == "sending"
    assert sent.json()["stats"]["waiting"] == 2
    edit_late = client.patch(path, json={"subject": "Too late"}, headers=owner)
    assert edit_late.status_code == 422
    assert edit_late.json()["detail"][0]["field"] == "status"
    paused = client.post(f"{path}/pause", json={"reason": "typo"}, headers=owner)
    assert paused.json()["status"] == "paused"
    assert paused.json()["pause_reason"] == "typo"
    assert client.post(f"{path}/resume", headers=owner).json()["status"] == "sending"
    cancelled = client.post(f"{path}/cancel", headers=owner).json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["stats"]["skipped"] == 2

    listed = client.get(base, headers=staff)
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()] == [one["id"]]
    assert listed.json()[0]["counts"] == {"skipped": 2}
    assert client.get(path, headers=staff).json()["stats"]["skipped"] == 2
    assert client.post(f"{path}/pause", headers=staff).status_code == 403
    assert client.get(f"{base}/999999", headers=staff).status_code == 404
    assert client.get(f"{base}?limit=0", headers=staff).status_code == 422


def test_a_sequence_step_message_is_no_broadcast_anywhere(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    list_id = _list(db, ["ann@example.com"])
    with db.session() as session:
        step = mail_service.create_step_message(session, "Welcome", "Hello", list_id)
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    api = f"/api/v1/mail/broadcasts/{step}"
    answers = [
        client.get(api, headers=owner),
        client.patch(api, json={"subject": "Changed"}, headers=owner),
        *(client.post(f"{api}/{action}", headers=owner) for action in ("pause", "cancel")),
    ]
    for answer in answers:
        assert answer.status_code == 404, answer.text
        assert answer.json() == {"detail": f"no broadcast {step}"}
    sign_in(client, people["owner"])
    assert client.get(f"/mail/broadcasts/{step}").status_code == 404
    token = csrf_from(client.get("/mail").text)
    for action in ("pause", "cancel"):
        done = _post(client, f"/mail/broadcasts/{step}/{action}", token, confirm="yes")
        assert done.status_code == 404, done.text
    with db.session() as session:
        row = session.get(Broadcast, step)
        assert row is not None
        assert (row.kind, row.status, row.subject) == ("sequence", "sending", "Welcome")
