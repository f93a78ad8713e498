"""A stream saved before its own rates had to leave it a value (required return 0, persistence 1:
1 + r - ω = 0) still opens: its page shows it with a message naming the field to fix, the API
returns it, its value is a 409 saying what to change, and saving a fixed rate values it again."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from evergreen.db import Database
from evergreen.ledger.models import Stream
from tests.cli_helpers import evergreen, refused
from tests.http_helpers import csrf_from, sign_in, token_for
from tests.ledger.test_stream_page import MARCH, _seed

D = Decimal


@pytest.fixture
def old_stream(db: Database) -> int:
    """The blog, with the rates an earlier version let it save (written past the rule)."""
    stream_id = _seed(db)
    with db.session() as session:
        session.execute(
            update(Stream)
            .where(Stream.id == stream_id)
            .values(required_return=D(0), persistence=D(1))
        )
    return stream_id


@pytest.mark.both_databases
def test_its_page_opens_and_asks_to_fix_the_persistence(
    client: TestClient, db: Database, people: dict[str, str], old_stream: int
) -> None:
    sign_in(client, people["owner"])
    page = client.get(f"/ledger/streams/{old_stream}?{MARCH}")
    assert page.status_code == 200, page.text[:300]
    assert 'id="figure-income"' in page.text  # the rest of the stream shows
    assert 'id="saved-rates-problem"' in page.text
    assert "saved persistence 1 with a required return of 0 leaves it no value" in page.text
    assert 'href="#rates-form"' in page.text
    rates_form = page.text[page.text.index('id="rates-form"') :]
    persistence = r'<input name="persistence" type="text" value="1"[^>]*aria-invalid'
    assert re.search(persistence, rates_form)
    token = csrf_from(page.text)
    income = {"csrf_token": token, "date": "2026-03-05", "amount": "10"}
    added = client.post(f"/ledger/streams/{old_stream}/income", data=income, follow_redirects=False)
    assert added.status_code == 303
    assert client.get(added.headers["location"]).status_code == 200
    fixed = client.post(f"/ledger/streams/{old_stream}/rates", follow_redirects=False,
                        data={"csrf_token": token, "hourly_rate": "", "required_return": "0",
                              "persistence": "0.6", "back": MARCH})  # fmt: skip
    assert fixed.status_code == 303
    again = client.get(fixed.headers["location"])
    assert again.status_code == 200
    assert 'id="saved-rates-problem"' not in again.text
    assert 'id="value-figure"' in again.text


@pytest.mark.both_databases
def test_the_api_returns_it_and_says_why_it_has_no_value(
    client: TestClient, db: Database, people: dict[str, str], old_stream: int
) -> None:
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    stream = client.get(f"/api/v1/ledger/streams/{old_stream}", headers=owner)
    assert stream.status_code == 200
    assert (stream.json()["required_return"], stream.json()["persistence"]) == ("0", "1")
    listed = client.get("/api/v1/ledger/streams", headers=owner)
    assert old_stream in [row["id"] for row in listed.json()]
    value = client.get(f"/api/v1/ledger/streams/{old_stream}/value", headers=owner)
    assert value.status_code == 409, value.text
    assert "saved persistence 1 with a required return of 0" in value.json()["detail"]
    given = client.get(f"/api/v1/ledger/streams/{old_stream}/value?persistence=0.5", headers=owner)
    assert given.status_code == 200  # a persistence asked for values it as asked


@pytest.mark.both_databases
def test_the_command_says_why_it_has_no_value_in_one_line(
    db: Database, database_url: str, old_stream: int, tmp_path: Path
) -> None:
    done = evergreen("streams", "value", "Blog", "--as-of", "2026-03-31",
                     data_dir=tmp_path / "data", database_url=database_url)  # fmt: skip
    refused(done, "saved persistence 1 with a required return of 0")
