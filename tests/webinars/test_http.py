"""Webinars over HTTP: the API (create, list, read, change, delete, sessions; 422 naming the
field, never a 500) and the pages (list and add form, one webinar with its sessions preview,
edit, delete after a confirmation; a refused form says what to fix)."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient

from evergreen.audience import service as audience
from evergreen.db import Database
from tests.http_helpers import csrf_from, sign_in, token_for

BODY = {
    "name": "masterclass",
    "duration_minutes": 60,
    "schedule": "jit:15",
    "timezone": "viewer",
    "blackout_dates": ["2026-12-25"],
    "presenter": "Ana",
}


def _text(response: Any) -> str:
    """The page's words, without tags, as a reader sees them."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


def _headers(db: Database, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(db, email)}"}


def test_api_creates_reads_changes_offers_sessions_and_deletes(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner, staff = _headers(db, people["owner"]), _headers(db, people["staff"])
    assert client.post("/api/v1/webinars", json=BODY, headers=staff).status_code == 403
    created = client.post("/api/v1/webinars", json=BODY, headers=owner)
    assert created.status_code == 201, created.text
    webinar = created.json()
    assert {k: webinar[k] for k in ("name", "title", "schedule", "timezone", "blackout_dates",
                                    "replay_hours", "video_url")} == {
        "name": "masterclass", "title": "masterclass", "schedule": "jit:15",
        "timezone": "viewer", "blackout_dates": ["2026-12-25"], "replay_hours": 48,
        "video_url": None,
    }  # fmt: skip
    url = f"/api/v1/webinars/{webinar['id']}"
    assert client.get("/api/v1/webinars", headers=staff).json()[0]["id"] == webinar["id"]
    offered = client.get(
        f"{url}/sessions",
        params={"registered_at": "2026-12-07T14:07:00Z", "viewer_timezone": "America/New_York"},
        headers=staff,
    )
    assert offered.status_code == 200, offered.text
    assert offered.json() == {
        "webinar_id": webinar["id"],
        "registered_at": "2026-12-07T14:07:00Z",
        "viewer_timezone": "America/New_York",
        "sessions": ["2026-12-07T14:30:00Z", "2026-12-07T14:45:00Z", "2026-12-07T15:00:00Z"],
    }
    changed = client.patch(url, json={"schedule": "daily:09:00", "timezone": "Europe/London"},
                           headers=owner)  # fmt: skip
    assert changed.status_code == 200
    assert (changed.json()["schedule"], changed.json()["presenter"]) == ("daily:09:00", "Ana")
    two = client.get(
        f"{url}/sessions",
        params={"registered_at": "2026-12-24T10:00:00Z", "viewer_timezone": "UTC", "count": 2},
        headers=staff,
    )
    assert two.json()["sessions"] == ["2026-12-26T09:00:00Z", "2026-12-27T09:00:00Z"]
    assert client.delete(url, headers=staff).status_code == 403
    assert client.delete(url, headers=owner).status_code == 204
    assert client.get(url, headers=staff).status_code == 404


def test_api_names_the_field_of_every_refusal(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = _headers(db, people["owner"])
    for change, field in [
        ({"schedule": "jit:0"}, "schedule"),
        ({"schedule": "daily:25:00"}, "schedule"),
        ({"schedule": "weekly:funday:10:00"}, "schedule"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"blackout_dates": ["2026-02-30"]}, "blackout_dates"),
        ({"video_url": "javascript:alert(1)"}, "video_url"),
        ({"name": "\x00"}, "name"),
    ]:
        refused = client.post("/api/v1/webinars", json={**BODY, **change}, headers=owner)
        assert refused.status_code == 422, (change, refused.text)
        assert field in refused.text, (change, refused.text)
    out_of_range = client.post(
        "/api/v1/webinars", json={**BODY, "duration_minutes": 0}, headers=owner
    )
    assert out_of_range.status_code == 422
    assert "duration_minutes" in out_of_range.text
    webinar_id = client.post("/api/v1/webinars", json=BODY, headers=owner).json()["id"]
    again = client.post("/api/v1/webinars", json=BODY, headers=owner)
    assert again.status_code == 409
    sessions = f"/api/v1/webinars/{webinar_id}/sessions"
    for params, field in [
        ({"viewer_timezone": "Nowhere/Town"}, "viewer_timezone"),
        ({"viewer_timezone": "viewer"}, "viewer_timezone"),
        ({"viewer_timezone": "UTC", "registered_at": "soon"}, "registered_at"),
        ({"viewer_timezone": "UTC", "registered_at": "1900-01-01T00:00:00Z"}, "registered_at"),
        ({"viewer_timezone": "UTC", "count": 0}, "count"),
        ({}, "viewer_timezone"),
    ]:
        refused = client.get(sessions, params=params, headers=owner)
        assert refused.status_code == 422, (params, refused.text)
        assert field in refused.text
    assert client.get("/api/v1/webinars/999/sessions", params={"viewer_timezone": "UTC"},
                      headers=owner).status_code == 404  # fmt: skip


def test_pages_add_preview_edit_and_delete_after_confirming(
    client: TestClient, people: dict[str, str]
) -> None:
    sign_in(client, people["owner"])
    listing = client.get("/webinars")
    assert listing.status_code == 200
    assert "No webinars yet" in listing.text
    assert "jit:15" in _text(listing)  # the spec explained beside its field
    token = csrf_from(listing.text)
    form = {"csrf_token": token, "name": "masterclass", "duration_minutes": "60",
            "schedule": "daily:25:00", "timezone": "viewer", "replay_hours": "48"}  # fmt: skip
    refused = client.post("/webinars", data=form, follow_redirects=False)
    assert refused.status_code == 400
    assert "The webinar was not added: schedule: '25:00' is not a time of day" in _text(refused)
    assert 'value="daily:25:00"' in refused.text  # what was typed stays
    refused = client.post("/webinars", data={**form, "schedule": "jit:15",
                                             "duration_minutes": "an hour"})  # fmt: skip
    assert refused.status_code == 400
    assert "duration minutes: give a whole number" in _text(refused)
    added = client.post(
        "/webinars",
        data={**form, "schedule": "daily:09:00", "timezone": "Europe/London",
              "blackout_dates": "2030-01-01\n2030-01-02"},
        follow_redirects=False,
    )  # fmt: skip
    assert added.status_code == 303
    page = client.get(added.headers["location"])
    assert page.status_code == 200
    words = _text(page)
    assert "Webinar added." in words
    assert "Every day at 09:00, in Europe/London time; none on 2 blacked-out dates." in words
    assert words.count(":00 Europe/London") == 5  # five sessions previewed in the zone
    tokyo = client.get(added.headers["location"].split("?")[0] + "?zone=Asia/Tokyo")
    assert _text(tokyo).count(":00 Asia/Tokyo") == 5
    assert "18:00 Asia/Tokyo" in _text(tokyo)  # 09:00 in London is 18:00 in Tokyo in winter
    bad_zone = client.get(added.headers["location"].split("?")[0] + "?zone=Mars/Base")
    assert bad_zone.status_code == 400
    assert "Cannot show the sessions: zone: unknown time zone 'Mars/Base'" in _text(bad_zone)
    base = added.headers["location"].split("?")[0]
    edit = {**form, "schedule": "weekly:sat:10:00", "timezone": "viewer", "title": "The class"}
    saved = client.post(base, data=edit, follow_redirects=False)
    assert saved.status_code == 303
    assert "Saturdays at 10:00, in each viewer's own time." in _text(client.get(base))
    bad_edit = client.post(base, data={**edit, "timezone": "Nowhere/Town"})
    assert bad_edit.status_code == 400
    assert "Not saved: timezone: unknown time zone 'Nowhere/Town'" in _text(bad_edit)
    asked = client.post(f"{base}/delete", data={"csrf_token": token})
    assert asked.status_code == 200
    assert "Delete the webinar masterclass?" in _text(asked)
    assert "The class" in _text(client.get("/webinars"))  # not deleted before confirming
    done = client.post(f"{base}/delete", data={"csrf_token": token, "confirm": "yes"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert "Webinar deleted." in _text(client.get("/webinars?done=deleted"))
    assert client.get(base).status_code == 404


def test_staff_read_the_pages_without_the_forms(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    client.post("/api/v1/webinars", json=BODY, headers=_headers(db, people["owner"]))
    sign_in(client, people["staff"])
    page = client.get("/webinars")
    assert "masterclass" in page.text
    assert 'id="add-webinar"' not in page.text
    one = client.get("/webinars/1")
    assert one.status_code == 200
    assert "Edit the webinar" not in one.text


def test_the_form_offers_the_audience_lists_by_name_and_keeps_the_choice(
    client: TestClient, people: dict[str, str], db: Database
) -> None:
    with db.session() as session:
        news = audience.create_list(session, "Newsletter", double_opt_in=False).id
        audience.create_list(session, "Buyers", double_opt_in=False)
    sign_in(client, people["owner"])
    listing = client.get("/webinars")
    options = re.findall(r'<option value="(\d*)"[^>]*>([^<]+)</option>', listing.text)
    assert options == [("", "None"), (str(news + 1), "Buyers"), (str(news), "Newsletter")]
    form = {"csrf_token": csrf_from(listing.text), "name": "masterclass",
            "duration_minutes": "60", "schedule": "jit:15", "timezone": "viewer",
            "replay_hours": "48", "list_id": str(news),
            "consent_wording": "Send me the Newsletter."}  # fmt: skip
    added = client.post("/webinars", data=form, follow_redirects=False)
    assert added.status_code == 303
    page = client.get(added.headers["location"].split("?")[0])
    assert f'<option value="{news}" selected>Newsletter</option>' in page.text
    missing = client.post("/webinars", data={**form, "name": "other", "list_id": "999"})
    assert missing.status_code == 400  # a list that does not exist is named, and kept shown
    assert "list" in _text(missing).lower()
    assert '<option value="999" selected>List 999 (not found)</option>' in missing.text


def test_the_api_and_the_page_take_specific_dates_and_business_hours(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = _headers(db, people["owner"])
    body = {**BODY, "schedule": "jit:30@9:00-17:00,fri,mon-thu", "timezone": "America/New_York"}
    created = client.post("/api/v1/webinars", json=body, headers=owner)
    assert created.status_code == 201, created.text
    assert created.json()["schedule"] == "jit:30@09:00-17:00,mon-fri"
    sessions = client.get(
        f"/api/v1/webinars/{created.json()['id']}/sessions",
        params={"viewer_timezone": "UTC", "registered_at": "2026-12-11T21:50:00Z"},
        headers=owner,
    )
    assert sessions.status_code == 200, sessions.text
    assert "2026-12-14T14:00:00Z" in str(sessions.json())
    gap = client.post("/api/v1/webinars", headers=owner, json={
        **BODY, "name": "gap", "schedule": "dates:2027-03-14T02:30", "timezone": "America/New_York",
    })  # fmt: skip
    assert gap.status_code == 422
    assert gap.json()["detail"][0]["field"] == "schedule"
    assert "2027-03-14T02:30 does not exist" in gap.json()["detail"][0]["message"]
    sign_in(client, people["owner"])
    listing = client.get("/webinars")
    assert "dates:2026-12-10T18:00" in _text(listing)  # the new forms explained beside the field
    form = {"csrf_token": csrf_from(listing.text), "name": "launch", "duration_minutes": "60",
            "schedule": "dates:2099-12-12T09:30,2099-12-10T18:00", "timezone": "Europe/Berlin",
            "replay_hours": "48"}  # fmt: skip
    added = client.post("/webinars", data=form, follow_redirects=False)
    assert added.status_code == 303, _text(added)
    words = _text(client.get(added.headers["location"]))
    assert "dates:2099-12-10T18:00,2099-12-12T09:30" in words
    assert "On 10 December 2099 at 18:00 and 12 December 2099 at 09:30" in words
    assert "Thu 10 Dec 2099, 18:00 Europe/Berlin" in words  # the preview offers both
    assert "Sat 12 Dec 2099, 09:30 Europe/Berlin" in words


def test_a_webinar_whose_listed_dates_passed_opens_and_changes_its_title(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    """Its page opens (saying no session is left) and its title and replay change; the API
    still refuses a new schedule that offers nothing."""
    from datetime import timedelta

    from evergreen.db import utcnow
    from evergreen.webinars import service

    past = utcnow() - timedelta(days=2)
    day = (past + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    with db.session() as session:
        draft = service.WebinarDraft("launch", 60, f"dates:{day}", "UTC")
        webinar_id = service.add_webinar(session, draft, past).id
    headers = _headers(db, people["owner"])
    url = f"/api/v1/webinars/{webinar_id}"
    changed = client.patch(
        url, json={"title": "Launch replay", "replay_hours": 72}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["replay_hours"] == 72
    stale = client.patch(url, json={"schedule": f"dates:{day}"}, headers=headers)
    assert stale.status_code == 422
    assert stale.json()["detail"][0]["loc"][-1] == "schedule"
    sign_in(client, people["owner"])
    page = client.get(f"/webinars/{webinar_id}")
    assert page.status_code == 200
    assert "Launch replay" in page.text
    assert "Cannot show the sessions" in _text(page)
