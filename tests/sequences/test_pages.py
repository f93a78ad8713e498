"""Sequences' pages: the list in the navigation, the new-sequence form (a refused step is named
beside the document, the steps in words beside it), activation after a confirmation, the
timeline, the live edit with its note, enrolling and taking out by hand, the preview page."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from fastapi.testclient import TestClient

from evergreen.audience import service as audience
from evergreen.audience.rules import Source
from evergreen.db import Database
from evergreen.sequences import service
from tests.http_helpers import csrf_from, sign_in
from tests.sequences.test_api import DOCUMENT, SECRET, _headers

STEPS = {"steps": DOCUMENT["steps"], "messages": DOCUMENT["messages"]}


def _text(response: Any) -> str:
    """The page's words, without tags, as a reader sees them."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


def _setup(db: Database) -> None:
    with db.session() as session:
        news = audience.create_list(session, "News", double_opt_in=False).id
        audience.create_list(session, "Buyers", double_opt_in=False)
        audience.subscribe(
            session,
            SECRET,
            "ann@example.com",
            news,
            audience.Consent(Source.API),
            time_zone="America/New_York",
        )


def test_add_with_errors_activate_after_confirming_and_see_the_timeline(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _setup(db)
    sign_in(client, people["owner"])
    home = client.get("/")
    assert 'href="/sequences"' in home.text  # the nav entry
    listing = client.get("/sequences")
    assert listing.status_code == 200
    assert "No sequences yet" in _text(listing)
    new = client.get("/sequences/new")
    assert new.status_code == 200
    options = re.findall(r'<option value="([^"]*)"[^>]*>', new.text.split('name="list_name"')[1])
    assert options[:3] == ["", "Buyers", "News"]
    assert "Send 'Welcome!'" in _text(new)  # the starter document in words
    token = csrf_from(new.text)
    bad = json.loads(json.dumps(STEPS))
    bad["steps"][2] = {"kind": "wait", "hours": 48}
    form = {
        "csrf_token": token,
        "name": "welcome",
        "list_name": "News",
        "trigger_kind": "joined_list",
        "trigger_value": "",
        "document": json.dumps(bad),
    }
    refused = client.post("/sequences/new", data=form)
    assert refused.status_code == 400
    words = _text(refused)
    assert "At steps[2].seconds: is required" in words
    assert "Send 'Welcome'" in words
    assert "Send 'Day two'" in words
    assert "Step 2: steps[2].seconds: is required" in words
    assert 'value="welcome"' in refused.text  # what was typed stays
    for change, shown in [
        ({"document": "{oops"}, "document: is not JSON"),
        ({"document": "[]"}, "document: must be an object"),
        ({"trigger_kind": "moon"}, "trigger.kind: 'moon' is not a trigger kind"),
        ({"trigger_kind": "got_tag"}, "trigger.name: is required"),
        ({"list_name": ""}, "list: choose the list"),
        ({"document": json.dumps(STEPS), "list_name": "Gone"}, "list:"),
        ({"document": "[" * 100_000}, "document: is not JSON"),
    ]:
        answer = client.post("/sequences/new", data={**form, **change})
        assert answer.status_code in (400, 404), (change, answer.status_code)
        assert shown in _text(answer), (change, _text(answer)[:500])
    huge = client.post("/sequences/new", data={**form, "document": "x" * 300_000})
    assert huge.status_code in (400, 422)
    added = client.post(
        "/sequences/new", data={**form, "document": json.dumps(STEPS)}, follow_redirects=False
    )
    assert added.status_code == 303
    page = client.get(added.headers["location"])
    words = _text(page)
    assert "Sequence added as a draft." in words
    assert "Starts when someone joins the list News" in words
    timeline = re.search(r'<ol class="timeline" id="timeline">(.*?)</ol>', page.text, re.S)
    assert timeline is not None
    assert _text(type("R", (), {"text": timeline.group(1)})()).strip() == (
        "s1 Goal: tag buyer (leaves the sequence when reached) Remove… s2 Send 'Welcome' "
        "Remove… s3 Wait 2 days Remove… s4 Send 'Day two' Remove…"
    )
    base = added.headers["location"].split("?")[0]
    asked = client.post(f"{base}/status", data={"csrf_token": token, "status": "active"})
    assert asked.status_code == 200
    assert "Activate the sequence welcome?" in _text(asked)
    assert "draft" in _text(client.get(base))  # not active before confirming
    done = client.post(
        f"{base}/status",
        follow_redirects=False,
        data={"csrf_token": token, "status": "active", "confirm": "yes"},
    )
    assert done.status_code == 303
    assert "Sequence active" in _text(client.get(done.headers["location"]))
    paused = client.post(
        f"{base}/status", data={"csrf_token": token, "status": "paused"}, follow_redirects=False
    )
    assert paused.status_code == 303
    with db.session() as session:
        assert service.get_sequence(session, "welcome").status == "paused"


def test_edit_enrol_take_out_and_preview(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _setup(db)
    with db.session() as session:
        sequence_id = service.add_sequence(session, "welcome", "News", DOCUMENT).id
    sign_in(client, people["owner"])
    base = f"/sequences/{sequence_id}"
    edit = client.get(f"{base}/edit")
    assert edit.status_code == 200
    assert "People already past a step are not sent it again." in _text(edit)
    token = csrf_from(edit.text)
    shown = json.loads(
        html.unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", edit.text, re.S).group(1))
    )  # type: ignore[union-attr]
    assert [s["id"] for s in shown["steps"]] == ["s1", "s2", "s3", "s4"]
    shown["steps"].insert(2, {"kind": "tag", "name": "warm"})
    shown["messages"]["welcome"]["subject"] = "Welcome aboard"
    saved = client.post(
        f"{base}/edit",
        data={"csrf_token": token, "document": json.dumps(shown)},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = _text(client.get(saved.headers["location"]))
    assert "s5 Add tag warm" in page
    assert "Send 'Welcome aboard'" in page
    shown["steps"][0]["id"] = "s99x"
    refused = client.post(f"{base}/edit", data={"csrf_token": token, "document": json.dumps(shown)})
    assert refused.status_code == 400
    assert "At steps[0].id:" in _text(refused)
    enrolled = client.post(
        f"{base}/enrol",
        data={"csrf_token": token, "email": "ann@example.com"},
        follow_redirects=False,
    )
    assert enrolled.status_code == 303
    people_table = _text(client.get(base))
    assert "ann@example.com active s1" in people_table
    twice = client.post(f"{base}/enrol", data={"csrf_token": token, "email": "ann@example.com"})
    assert twice.status_code == 400
    assert "Not done: email: is enrolled in this sequence already" in _text(twice)
    asked = client.post(f"{base}/exit", data={"csrf_token": token, "email": "ann@example.com"})
    assert "Take ann@example.com out of welcome?" in _text(asked)
    out = client.post(
        f"{base}/exit",
        follow_redirects=False,
        data={"csrf_token": token, "email": "ann@example.com", "confirm": "yes"},
    )
    assert out.status_code == 303
    assert "removed by hand" in _text(client.get(f"{base}?status=exited"))
    preview = client.get(
        f"{base}/preview", params={"email": "ann@example.com", "at": "2026-07-01T12:00:00Z"}
    )
    assert preview.status_code == 200
    words = _text(preview)
    assert "ann@example.com · America/New_York" in words
    assert "Wed 01 Jul 2026, 08:00 Send 'Welcome aboard'" in words  # their zone, EDT
    assert "Fri 03 Jul 2026, 08:00 Send 'Day two'" in words
    bad = client.get(f"{base}/preview", params={"email": "ann@example.com", "days": "lots"})
    assert bad.status_code == 400
    assert "Cannot preview: days:" in _text(bad)
    for at in ("0001-01-01T00:00:00Z", "9999-12-25T00:00:00Z"):
        far = client.get(f"{base}/preview", params={"email": "ann@example.com", "at": at})
        assert far.status_code == 400
        assert "Cannot preview: at: must be in the years 1970 to 8999" in _text(far)
    nobody = client.get(f"{base}/preview", params={"email": "who@example.com"})
    assert "Cannot preview: email: no subscriber" in _text(nobody)
    assert client.get("/sequences/999").status_code == 404


def test_staff_read_without_the_forms(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _setup(db)
    with db.session() as session:
        sequence_id = service.add_sequence(session, "welcome", "News", DOCUMENT).id
    sign_in(client, people["staff"])
    assert "welcome" in client.get("/sequences").text
    page = client.get(f"/sequences/{sequence_id}")
    assert page.status_code == 200
    assert 'id="enrol-form"' not in page.text
    assert "Activate…" not in page.text
    assert client.get("/sequences/new").status_code == 403


def test_add_and_remove_steps_with_plain_form_rows(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _setup(db)
    with db.session() as session:
        sequence_id = service.add_sequence(session, "welcome", "News", DOCUMENT).id
    sign_in(client, people["owner"])
    base = f"/sequences/{sequence_id}"
    token = csrf_from(client.get(base).text)
    row = {"csrf_token": token, "kind": "wait", "amount": "3", "unit": "hours", "after": "s2"}
    assert client.post(f"{base}/steps", data=row, follow_redirects=False).status_code == 303
    send = {"csrf_token": token, "kind": "send", "subject": "Last word", "body": "Bye {{ x }}."}
    assert client.post(f"{base}/steps", data=send, follow_redirects=False).status_code == 303
    tag = {"csrf_token": token, "kind": "goal_purchased", "name": "", "after": ""}
    assert client.post(f"{base}/steps", data=tag, follow_redirects=False).status_code == 303
    page = _text(client.get(base))
    assert (
        "s1 Goal: tag buyer (leaves the sequence when reached) Remove… s2 Send 'Welcome' Remove… "
        "s5 Wait 3 hours Remove… s3 Wait 2 days Remove… s4 Send 'Day two' Remove… "
        "s6 Send 'Last word' Remove… s7 Goal: bought anything"
    ) in page
    for change, shown in [
        ({"kind": "wait", "amount": "soon"}, "amount: give a whole number above 0"),
        ({"kind": "wait", "amount": "2", "unit": "weeks"}, "unit: choose minutes, hours or days"),
        ({"kind": "send", "subject": ""}, "subject: is required"),
        ({"kind": "tag", "name": ""}, "name: give the tag's name"),
        ({"kind": "teleport"}, "kind: 'teleport' is not a step this form adds"),
        ({"kind": "tag", "name": "x", "after": "s99"}, "after: no step 's99'"),
        ({"kind": "send", "subject": "{{ oops", "body": "b"}, "messages.m2.subject:"),
    ]:
        refused = client.post(f"{base}/steps", data={"csrf_token": token, **change})
        assert refused.status_code == 400, change
        assert f"The step was not added: {shown}" in _text(refused), (change, _text(refused))
    asked = client.post(f"{base}/steps/s3/remove", data={"csrf_token": token})
    assert "Remove step s3 (Wait 2 days)?" in _text(asked)
    assert "s3 Wait 2 days" in _text(client.get(base))  # not before confirming
    done = client.post(f"{base}/steps/s3/remove", data={"csrf_token": token, "confirm": "yes"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert "s3 Wait 2 days" not in _text(client.get(base))
    gone = client.post(f"{base}/steps/s3/remove", data={"csrf_token": token, "confirm": "yes"})
    assert gone.status_code in (400, 422)


def test_the_page_names_the_webinar_whose_session_its_messages_show(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _setup(db)
    about = {"trigger": {"kind": "webinar", "status": "registered", "webinar": "demo"}} | STEPS
    with db.session() as session:
        pinned = service.add_sequence(session, "reminders", "News", about).id
        unpinned = service.add_sequence(session, "welcome", "News", DOCUMENT).id
    sign_in(client, people["owner"])
    words = "its messages show each person's session of webinar demo"
    assert words in _text(client.get(f"/sequences/{pinned}"))
    assert "session of webinar" not in _text(client.get(f"/sequences/{unpinned}"))
    owner = _headers(db, people["owner"])
    assert client.get(f"/api/v1/sequences/{pinned}", headers=owner).json()["webinar"] == "demo"
