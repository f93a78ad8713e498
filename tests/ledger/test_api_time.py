"""The owner's time and defaults over HTTP: hours by hand (retry-safe with a key), the timer,
and the hourly rate, required return, currency and passive threshold."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from evergreen.db import Database
from evergreen.ledger.models import HoursEntry
from tests.ledger.api_helpers import API, add_stream, callers, count, refused


@pytest.fixture
def who(db: Database, people: dict[str, str]) -> dict[str, dict[str, str]]:
    """Bearer headers by role."""
    return callers(db, people)


def test_hours_by_hand_are_retry_safe_and_listed(
    client: TestClient, db: Database, who: dict[str, dict[str, str]]
) -> None:
    owner, staff = who["owner"], who["staff"]
    blog = add_stream(client, owner)
    body = {"stream_id": blog, "date": "2026-01-05", "hours": "2.5", "memo": "post",
            "idempotency_key": "day-1"}  # fmt: skip
    first = client.post(f"{API}/hours", json=body, headers=owner)
    retry = client.post(f"{API}/hours", json=body, headers=owner)
    assert (first.status_code, retry.status_code) == (201, 200), retry.text
    assert first.json() == retry.json()
    assert first.json() == {"id": first.json()["id"], "stream_id": blog, "date": "2026-01-05",
                            "hours": "2.5", "memo": "post", "source": "api"}  # fmt: skip
    refused(client.post(f"{API}/hours", json={**body, "hours": "3"}, headers=owner), 409)
    client.post(f"{API}/hours", json={**body, "idempotency_key": None, "date": "2026-01-07",
                                      "hours": "1"}, headers=owner)  # fmt: skip
    assert count(db, HoursEntry.id) == 2
    listed = client.get(f"{API}/hours", params={"stream_id": blog}, headers=staff).json()
    assert listed["total"] == 2
    assert [h["hours"] for h in listed["items"]] == ["1", "2.5"]
    for hours in ("0", "24.5", "-1", 2):
        refused(client.post(f"{API}/hours", json={**body, "hours": hours}, headers=owner), 422,
                 "hours")  # fmt: skip
    refused(client.post(f"{API}/hours", json={**body, "stream_id": 999}, headers=owner), 404)
    assert count(db, HoursEntry.id) == 2


def test_the_timer_starts_stops_and_records_its_time(
    client: TestClient, db: Database, who: dict[str, dict[str, str]]
) -> None:
    owner, staff = who["owner"], who["staff"]
    blog = add_stream(client, owner)
    assert client.get(f"{API}/timer", headers=staff).json()["running"] is False
    refused(client.post(f"{API}/timer/stop", headers=owner), 409)
    refused(client.post(f"{API}/timer/start", json={"stream_id": 999}, headers=owner), 404)
    refused(client.post(f"{API}/timer/start", json={"stream_id": blog}, headers=staff), 403)
    started = client.post(f"{API}/timer/start", json={"stream_id": blog, "memo": "drafting"},
                          headers=owner)  # fmt: skip
    assert started.status_code == 200, started.text
    state = client.get(f"{API}/timer", headers=staff).json()
    assert (state["running"], state["stream_id"], state["memo"]) == (True, blog, "drafting")
    assert Decimal(state["hours_so_far"]) >= 0
    stopped = client.post(f"{API}/timer/stop", headers=owner)
    assert stopped.status_code == 200, stopped.text
    # Stopped within the test's second or two: under a minute recorded (or nothing at all).
    recorded = stopped.json()["recorded"]
    assert all(r["source"] == "timer" and Decimal(r["hours"]) < Decimal("0.02")
               for r in recorded)  # fmt: skip
    assert count(db, HoursEntry.id) == len(recorded)
    assert client.get(f"{API}/timer", headers=staff).json()["running"] is False


def test_the_owners_defaults_are_read_and_changed(
    client: TestClient, who: dict[str, dict[str, str]]
) -> None:
    owner, staff = who["owner"], who["staff"]
    blank = client.get(f"{API}/preferences", headers=staff).json()
    assert blank == {"hourly_rate": None, "required_return": None, "currency": "USD",
                     "passive_hours": "5"}  # fmt: skip
    saved = client.put(
        f"{API}/preferences",
        json={"hourly_rate": "62.50", "required_return": "0.08"},
        headers=owner,
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["hourly_rate"] == "62.5"
    again = client.put(f"{API}/preferences", json={"currency": "eur", "passive_hours": "7.5"},
                       headers=owner)  # fmt: skip
    assert again.json() == {"hourly_rate": "62.5", "required_return": "0.08", "currency": "EUR",
                            "passive_hours": "7.5"}  # fmt: skip
    assert client.get(f"{API}/preferences", headers=staff).json() == again.json()
    for body, field in [({"currency": "EU1"}, "currency"), ({"hourly_rate": "-2"}, "hourly_rate"),
                        ({"required_return": 0.1}, "required_return"),
                        ({"passive_hours": "1.234"}, "passive_hours"),
                        ({"passive_hours": "800"}, "passive_hours")]:  # fmt: skip
        refused(client.put(f"{API}/preferences", json=body, headers=owner), 422, field)
    refused(client.put(f"{API}/preferences", json={"hourly_rate": "1"}, headers=staff), 403)
    assert client.get(f"{API}/preferences", headers=staff).json() == again.json()


def test_a_time_entry_is_corrected_or_deleted_by_the_owner_only(
    client: TestClient, db: Database, who: dict[str, dict[str, str]]
) -> None:
    owner, staff = who["owner"], who["staff"]
    blog, shop = add_stream(client, owner), add_stream(client, owner, name="Shop")
    day = {"date": "2026-02-02"}
    typo = client.post(f"{API}/hours", json={"stream_id": blog, **day, "hours": "15",
                                             "memo": "edit"}, headers=owner)  # fmt: skip
    client.post(f"{API}/hours", json={"stream_id": shop, "date": "2026-02-02", "hours": "8"},
                headers=owner)  # fmt: skip
    entry = typo.json()["id"]
    # The day's cap counts the other entries, not the one corrected: 15 → 16.5 is refused
    # (8 + 16.5 > 24), 15 → 1.5 is taken.
    refused(client.patch(f"{API}/hours/{entry}", json={"hours": "16.5"}, headers=owner), 422,
            "hours")  # fmt: skip
    refused(client.patch(f"{API}/hours/{entry}", json={"hours": "1.5"}, headers=staff), 403)
    changed = client.patch(f"{API}/hours/{entry}", json={"hours": "1.5"}, headers=owner)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["hours"], changed.json()["memo"]) == ("1.5", "edit")
    memo = client.patch(f"{API}/hours/{entry}", json={"memo": "edited post"}, headers=owner)
    assert (memo.json()["hours"], memo.json()["memo"]) == ("1.5", "edited post")
    refused(client.patch(f"{API}/hours/{entry}", json={"hours": "0"}, headers=owner), 422,
            "hours")  # fmt: skip
    refused(client.patch(f"{API}/hours/999999", json={"hours": "1"}, headers=owner), 404)
    with db.session() as session:
        assert session.get(HoursEntry, entry).hours == Decimal("1.5")  # type: ignore[union-attr]
    refused(client.delete(f"{API}/hours/{entry}", headers=staff), 403)
    gone = client.delete(f"{API}/hours/{entry}", headers=owner)
    assert gone.status_code == 204, gone.text
    refused(client.delete(f"{API}/hours/{entry}", headers=owner), 404)
    listed = client.get(f"{API}/hours", headers=staff).json()
    assert [(h["stream_id"], h["hours"]) for h in listed["items"]] == [(shop, "8")]
