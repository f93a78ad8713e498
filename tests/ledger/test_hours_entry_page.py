"""A time entry's page over HTTP: the hours list links to it, the owner corrects the hours (the
day's cap counting the other entries) or deletes it after a confirmation, and the stream's hours
follow; staff see it and change nothing; another stream's entry is a 404."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from evergreen.db import Database
from evergreen.ledger import service
from evergreen.ledger.models import HoursEntry
from evergreen.ledger.rules import StreamKind
from tests.http_helpers import csrf_from, sign_in

D = Decimal
MARCH = "from=2026-03-01&to=2026-03-31"


def _seed(db: Database) -> tuple[int, int, int]:
    """A blog with a mistyped 15 hours and a course with 8 on the same day: (blog, course,
    the mistyped entry)."""
    with db.session() as session:
        blog = service.add_stream(
            session, service.StreamDraft("Blog", StreamKind.AFFILIATE), date(2025, 1, 1)
        )
        course = service.add_stream(
            session, service.StreamDraft("Course", StreamKind.OTHER), date(2025, 1, 1)
        )
        typo = service.add_hours(session, blog, date(2026, 3, 9), D(15), "Newsletter")
        service.add_hours(session, course, date(2026, 3, 9), D(8), "Recording")
        return blog.id, course.id, typo.id


def _hours(db: Database) -> dict[int, Decimal]:
    with db.session() as session:
        return {e.id: e.hours for e in session.query(HoursEntry)}


def _post(client: TestClient, url: str, token: str, **data: str) -> Any:
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def test_the_owner_corrects_then_deletes_a_time_entry(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    blog, course, typo = _seed(db)
    sign_in(client, people["owner"])
    listing = client.get(f"/ledger/streams/{blog}/entries?figure=hours&{MARCH}").text
    link = re.search(rf'href="(/ledger/streams/{blog}/hours/{typo}\?back=[^"]+)"', listing)
    assert link is not None, listing
    page = client.get(link.group(1).replace("&amp;", "&"))
    assert page.status_code == 200
    assert 'value="15"' in page.text
    assert "Newsletter" in page.text
    url, token = f"/ledger/streams/{blog}/hours/{typo}", csrf_from(page.text)

    too_much = _post(client, url, token, hours="16.5", memo="Newsletter", back=MARCH)
    assert too_much.status_code == 400
    assert "brings 2026-03-09 to 24.5 hours" in too_much.text
    assert 'value="16.5"' in too_much.text  # what was typed, to fix
    assert _hours(db)[typo] == D(15)

    saved = _post(client, url, token, hours="1.5", memo="Newsletter draft", back=MARCH)
    assert saved.status_code == 303
    assert saved.headers["location"] == (
        f"/ledger/streams/{blog}/entries?figure=hours&{MARCH}&done=hours_changed"
    )
    shown = client.get(saved.headers["location"]).text
    assert "Time entry corrected." in shown
    assert re.search(r'id="listed-sum">1.50<', shown)

    asked = _post(client, f"{url}/delete", token, back=MARCH)
    assert asked.status_code == 200
    assert f"Delete time entry {typo}?" in asked.text
    assert "1.50 hours on 2026-03-09 “Newsletter draft”" in asked.text
    assert _hours(db)[typo] == D("1.5")  # nothing deleted before the confirmation
    done = _post(client, f"{url}/delete", csrf_from(asked.text), back=MARCH, confirm="yes")
    assert done.status_code == 303
    assert done.headers["location"].endswith("&done=hours_deleted")
    assert typo not in _hours(db)
    assert "No hours in this period." in client.get(done.headers["location"]).text
    assert client.get(url).status_code == 404
    # The course's entry is not the blog's to open.
    others = list(_hours(db))
    assert client.get(f"/ledger/streams/{blog}/hours/{others[0]}").status_code == 404
    assert client.get(f"/ledger/streams/{course}/hours/{others[0]}").status_code == 200


def test_staff_see_a_time_entry_and_change_nothing(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    blog, _course, typo = _seed(db)
    sign_in(client, people["staff"])
    page = client.get(f"/ledger/streams/{blog}/hours/{typo}")
    assert page.status_code == 200
    assert "Only the owner changes time entries." in page.text
    assert "hours-delete-form" not in page.text
    url, token = f"/ledger/streams/{blog}/hours/{typo}", csrf_from(page.text)
    assert _post(client, url, token, hours="1").status_code == 403
    assert _post(client, f"{url}/delete", token, confirm="yes").status_code == 403
    assert _hours(db)[typo] == D(15)
