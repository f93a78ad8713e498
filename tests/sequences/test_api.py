"""Sequences over the API: create from a document (422 naming the path, never a 500), read,
activate, live edit that keeps step ids (nobody gets a step twice), enrolments by hand, preview."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from evergreen.audience import service as audience
from evergreen.audience.rules import Source
from evergreen.db import Database, utcnow
from evergreen.sequences import service
from tests.http_helpers import token_for

SECRET = "test-secret-for-sequences-api-0123456789abcdef"
DOCUMENT: dict[str, Any] = {
    "trigger": {"kind": "joined_list", "list": "News"},
    "steps": [
        {"kind": "goal", "condition": {"kind": "tag", "name": "buyer"}},
        {"kind": "send", "message": "welcome"},
        {"kind": "wait", "seconds": 2 * 86400},
        {"kind": "send", "message": "second"},
    ],
    "messages": {
        "welcome": {"subject": "Welcome", "body": "Hello, step one."},
        "second": {"subject": "Day two", "body": "Hello again."},
    },
}


def _headers(db: Database, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(db, email)}"}


def _news(db: Database, *emails: str) -> int:
    with db.session() as session:
        list_id = audience.create_list(session, "News", double_opt_in=False).id
        for email in emails:
            audience.subscribe(
                session,
                SECRET,
                email,
                list_id,
                audience.Consent(Source.API),
                time_zone="Asia/Tokyo",
            )
    return list_id


def test_create_read_activate_and_list(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _news(db)
    owner, staff = _headers(db, people["owner"]), _headers(db, people["staff"])
    body = {"name": "welcome", "list": "News", "document": DOCUMENT}
    assert client.post("/api/v1/sequences", json=body, headers=staff).status_code == 403
    created = client.post("/api/v1/sequences", json=body, headers=owner)
    assert created.status_code == 201, created.text
    one = created.json()
    assert (one["name"], one["status"], one["list"]) == ("welcome", "draft", "News")
    assert one["trigger_words"] == "joins the list News"
    assert [line["words"] for line in one["timeline"]] == [
        "Goal: tag buyer (leaves the sequence when reached)",
        "Send 'Welcome'",
        "Wait 2 days",
        "Send 'Day two'",
    ]
    assert [s["id"] for s in one["document"]["steps"]] == ["s1", "s2", "s3", "s4"]
    assert one["document"]["messages"]["second"]["subject"] == "Day two"
    url = f"/api/v1/sequences/{one['id']}"
    assert client.get(url, headers=staff).json()["document"] == one["document"]
    started = client.post(f"{url}/status", json={"status": "active"}, headers=owner)
    assert started.json()["status"] == "active"
    listed = client.get("/api/v1/sequences", headers=staff).json()
    assert [(s["name"], s["status"], s["enrolments"]) for s in listed] == [
        ("welcome", "active", {})
    ]
    assert client.get("/api/v1/sequences/999", headers=staff).status_code == 404


def test_refusals_name_the_path_and_never_500(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _news(db)
    owner = _headers(db, people["owner"])

    def document(**change: Any) -> dict[str, Any]:
        out = copy.deepcopy(DOCUMENT)
        out.update(change)
        return out

    bad_wait = copy.deepcopy(DOCUMENT)
    bad_wait["steps"][2] = {"kind": "wait", "seconds": "two days"}
    huge_wait = {"kind": "wait", "seconds": 10**30}
    broken_text = copy.deepcopy(DOCUMENT)
    broken_text["messages"]["welcome"]["subject"] = "{{ broken"
    deep: dict[str, Any] = {"kind": "tag", "name": "x"}
    for _ in range(40):
        deep = {"kind": "not", "condition": deep}
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"name": "w", "list": "News", "document": bad_wait}, 422, "steps[2].seconds"),
        (
            {"name": "w", "list": "News", "document": document(steps=[{"kind": "teleport"}])},
            422,
            "steps[0].kind",
        ),
        ({"name": "w", "list": "Nope", "document": DOCUMENT}, 404, "list"),
        (
            {"name": "w", "list": "News", "document": document(trigger={"kind": "moon"})},
            422,
            "trigger.kind",
        ),
        (
            {"name": "w", "list": "News", "document": document(steps=[{"kind": "send"}] * 5000)},
            422,
            "steps",
        ),
        (
            {
                "name": "w",
                "list": "News",
                "document": document(steps=[{"kind": "goal", "condition": deep}]),
            },
            422,
            "condition",
        ),
        ({"name": "w", "list": "News", "document": []}, 422, "document"),
        (
            {"name": "w", "list": "News", "document": document(steps=[huge_wait])},
            422,
            "steps[0].seconds",
        ),
        ({"name": "w", "list": "News", "document": broken_text}, 422, "messages.welcome.subject"),
        ({"name": "", "list": "News", "document": DOCUMENT}, 422, "name"),
        (
            {"name": "w", "list": "News", "document": document(messages={"welcome": 3})},
            422,
            "messages.welcome",
        ),
    ]
    for body, status, path in cases:
        refused = client.post("/api/v1/sequences", json=body, headers=owner)
        assert refused.status_code == status, (path, refused.text)
        assert path in refused.text, (path, refused.text)
    assert client.get("/api/v1/sequences", headers=owner).json() == []
    odd = client.post("/api/v1/sequences", content=b"{not json", headers=owner)
    assert odd.status_code == 422


def test_live_edit_keeps_ids_and_sends_nobody_a_step_twice(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _news(db, "ann@example.com")
    owner = _headers(db, people["owner"])
    one = client.post(
        "/api/v1/sequences",
        headers=owner,
        json={"name": "welcome", "list": "News", "document": DOCUMENT},
    ).json()
    url = f"/api/v1/sequences/{one['id']}"
    client.post(f"{url}/status", json={"status": "active"}, headers=owner)
    client.post(f"{url}/enrolments", json={"email": "ann@example.com"}, headers=owner)
    t0 = utcnow() + timedelta(seconds=5)
    assert service.run_due(db, t0).queued == 1  # ann is sent s2 and waits at s3
    steps = one["document"]["steps"]
    # A new Send inserted before the one she had, her wait removed, a text changed.
    edited = {
        "steps": [
            steps[0],
            {"kind": "send", "message": "intro"},
            steps[1],
            {"kind": "wait", "seconds": 86400},
            steps[3],
        ],
        "messages": {
            "intro": {"subject": "Intro", "body": "New first mail."},
            "second": {"subject": "Day two, revised", "body": "Hello again."},
        },
    }
    saved = client.put(f"{url}/document", json={"document": edited}, headers=owner)
    assert saved.status_code == 200, saved.text
    assert [s["id"] for s in saved.json()["document"]["steps"]] == ["s1", "s5", "s2", "s6", "s4"]
    assert saved.json()["timeline"][4]["words"] == "Send 'Day two, revised'"
    assert service.run_due(db, t0 + timedelta(days=3)).queued == 1  # s4 only: not s5, not s2
    people_page = client.get(f"{url}/enrolments", headers=owner).json()
    assert people_page["total"] == 1
    assert people_page["enrolments"][0]["status"] == "finished"
    bad = client.put(
        f"{url}/document",
        headers=owner,
        json={"document": {"steps": [{"id": "s3", "kind": "send", "message": "welcome"}]}},
    )
    assert bad.status_code == 422
    assert "steps[0].id" in bad.text
    missing = client.put(
        f"{url}/document",
        headers=owner,
        json={"document": {"steps": [{"kind": "send", "message": "nope"}]}},
    )
    assert missing.status_code == 422
    assert "steps[0].message" in missing.text


def test_enrol_exit_by_hand_and_preview_in_their_zone(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _news(db, "ann@example.com")
    with db.session() as session:
        other = audience.create_list(session, "Other", double_opt_in=False).id
        audience.subscribe(session, SECRET, "eve@example.com", other, audience.Consent(Source.API))
    owner, staff = _headers(db, people["owner"]), _headers(db, people["staff"])
    one = client.post(
        "/api/v1/sequences",
        headers=owner,
        json={"name": "welcome", "list": "News", "document": DOCUMENT},
    ).json()
    url = f"/api/v1/sequences/{one['id']}"
    enrolled = client.post(f"{url}/enrolments", json={"email": "ann@example.com"}, headers=owner)
    assert enrolled.status_code == 201, enrolled.text
    assert (enrolled.json()["email"], enrolled.json()["status"]) == ("ann@example.com", "active")
    again = client.post(f"{url}/enrolments", json={"email": "ann@example.com"}, headers=owner)
    assert again.status_code == 409
    not_on_list = client.post(f"{url}/enrolments", json={"email": "eve@example.com"}, headers=owner)
    assert not_on_list.status_code == 422
    assert "email" in not_on_list.text
    unknown = client.post(f"{url}/enrolments", json={"email": "who@example.com"}, headers=owner)
    assert unknown.status_code == 404
    simulated = client.get(
        f"{url}/preview",
        headers=staff,
        params={"email": "ann@example.com", "at": "2026-12-07T00:00:00Z", "days": 10},
    )
    assert simulated.status_code == 200, simulated.text
    shown = simulated.json()
    assert (shown["time_zone"], shown["simulated"]) == ("Asia/Tokyo", True)
    assert [(i["at"], i["local"], i["words"]) for i in shown["timeline"]] == [
        ("2026-12-07T00:00:00+00:00", "Mon 07 Dec 2026, 09:00", "Send 'Welcome'"),
        ("2026-12-07T00:00:00+00:00", "Mon 07 Dec 2026, 09:00", "Wait 2 days"),
        ("2026-12-09T00:00:00+00:00", "Wed 09 Dec 2026, 09:00", "Send 'Day two'"),
        (
            "2026-12-09T00:00:00+00:00",
            "Wed 09 Dec 2026, 09:00",
            "Finishes the sequence (end of sequence)",
        ),
    ]
    bad_at = client.get(
        f"{url}/preview", headers=staff, params={"email": "ann@example.com", "at": "tomorrow"}
    )
    assert bad_at.status_code == 422
    assert (
        "at" in bad_at.json()["detail"][0]["loc"] or "'at'" in bad_at.text or "at:" in bad_at.text
    )
    out = client.post(f"{url}/enrolments/exit", json={"email": "ann@example.com"}, headers=owner)
    assert out.json() == {
        "email": "ann@example.com",
        "status": "exited",
        "exit_reason": "removed by hand",
    }
    assert (
        client.post(
            f"{url}/enrolments/exit", json={"email": "ann@example.com"}, headers=owner
        ).status_code
        == 409
    )
    listed = client.get(f"{url}/enrolments", params={"status": "exited"}, headers=staff).json()
    assert [e["exit_reason"] for e in listed["enrolments"]] == ["removed by hand"]
    assert (
        client.get(f"{url}/enrolments", params={"status": "gone"}, headers=staff).status_code == 422
    )


def test_people_waiting_at_a_removed_step_go_on_at_the_next_kept_one(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _news(db, "ann@example.com")
    owner = _headers(db, people["owner"])
    five = copy.deepcopy(DOCUMENT)
    five["steps"].append({"kind": "send", "message": "third"})
    five["messages"]["third"] = {"subject": "Day two, part two", "body": "More."}
    made = client.post(
        "/api/v1/sequences",
        headers=owner,
        json={"name": "welcome", "list": "News", "document": five},
    ).json()
    url = f"/api/v1/sequences/{made['id']}"
    client.post(f"{url}/status", json={"status": "active"}, headers=owner)
    client.post(f"{url}/enrolments", json={"email": "ann@example.com"}, headers=owner)
    t0 = utcnow() + timedelta(seconds=5)
    assert service.run_due(db, t0).queued == 1  # welcome; then she waits, next at s4
    waiting = client.get(f"{url}/enrolments", headers=owner).json()["enrolments"][0]
    assert waiting["step_id"] == "s4"
    steps = made["document"]["steps"]
    kept = [step for step in steps if step["id"] != "s4"]
    saved = client.put(f"{url}/document", json={"document": {"steps": kept}}, headers=owner)
    assert saved.status_code == 200, saved.text
    assert [line["id"] for line in saved.json()["timeline"]] == ["s1", "s2", "s3", "s5"]
    later = service.run_due(db, t0 + timedelta(days=2, seconds=1))
    assert (later.queued, later.finished) == (1, 1)
    numbers = client.get(f"{url}/analytics", headers=owner).json()
    sent = {row["id"]: row["entered"] for row in numbers["steps"] if row["kind"] == "Send"}
    assert sent == {"s2": 1, "s5": 1}  # the removed s4 never went; s5 did, once


def test_preview_refuses_a_time_outside_the_years_it_computes(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _news(db, "ann@example.com")
    owner, staff = _headers(db, people["owner"]), _headers(db, people["staff"])
    one = client.post(
        "/api/v1/sequences",
        headers=owner,
        json={"name": "welcome", "list": "News", "document": DOCUMENT},
    ).json()
    url = f"/api/v1/sequences/{one['id']}/preview"
    for params in (
        {"at": "0001-01-01T00:00:00Z"},
        {"at": "0001-01-01T00:00:00+01:00"},
        {"at": "9999-12-25T00:00:00Z", "days": 366},
        {"at": "1969-12-31T23:59:59Z"},
    ):
        answer = client.get(url, headers=staff, params={"email": "ann@example.com", **params})
        assert answer.status_code == 422, (params, answer.text)
        (problem,) = answer.json()["detail"]
        assert problem["field"] == "at"
        assert "years 1970 to 8999" in problem["message"]
    for at in ("1970-01-01T00:00:00Z", "8999-12-31T23:59:59Z"):  # the edges compute
        params = {"email": "ann@example.com", "at": at, "days": 366}
        assert client.get(url, headers=staff, params=params).status_code == 200, at
