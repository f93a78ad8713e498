"""Streams that each have their own hourly rate and required return need no saved default: the
report, a value and the home page's figures charge each stream its own; a stream without its
own still asks for the default, never charging a silent zero."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from evergreen.db import Database, utcnow
from evergreen.ledger import service
from evergreen.ledger.rules import StreamKind
from tests.http_helpers import sign_in, token_for

API = "/api/v1/ledger"
D = Decimal


def _stream(db: Database, name: str, hourly: str | None, required: str | None) -> int:
    today = utcnow().date()
    with db.session() as session:
        draft = service.StreamDraft(
            name, StreamKind.AFFILIATE, hourly_rate=None if hourly is None else D(hourly),
            required_return=None if required is None else D(required),
        )  # fmt: skip
        stream = service.add_stream(session, draft, today)
        service.add_hours(session, stream, today, D(5), "writing")
        return stream.id


def test_streams_with_their_own_rates_are_charged_them_without_a_default(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    blog = _stream(db, "Blog", "40", "0.08")
    loans = _stream(db, "Loans", "20", "0.05")
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    today = utcnow().date().isoformat()
    period = {"from": today, "to": today}
    report = client.get(f"{API}/report", params=period, headers=owner)
    assert report.status_code == 200, report.text
    shown = report.json()
    assert (shown["hourly_rate"], shown["required_return"]) == (None, None)  # none saved
    charged = {row["id"]: row["owner_time_charge"] for row in shown["streams"]}
    assert charged == {blog: "200.00", loans: "100.00"}  # 5 hours at each one's own rate
    value = client.get(f"{API}/streams/{blog}/value", headers=owner)
    assert value.status_code == 200, value.text
    assert value.json()["required_return"] == "0.08"
    sign_in(client, people["owner"])
    home = client.get("/").text
    assert 'id="rates-form"' not in home
    assert 'id="streams"' in home  # the figures, at each stream's rates

    _stream(db, "Royalties", None, "0.05")  # its hours would be charged at the default
    refused = client.get(f"{API}/report", params=period, headers=owner)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "hourly_rate"
    assert client.get(f"{API}/streams/{blog}/value", headers=owner).status_code == 200
    home = client.get("/").text
    assert 'id="rates-form"' in home
    assert 'id="streams"' not in home
