"""The owner's exchange rates through the API and the command line: the owner sets, lists and
removes; staff read; a bad rate or pair is refused naming the field (422, or one line and exit
2), with nothing stored."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from evergreen.db import Database
from tests.cli_helpers import run_cli
from tests.http_helpers import token_for

API = "/api/v1/commerce/exchange-rates"


def test_the_owner_sets_and_removes_rates_and_staff_read_them(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    made = client.put(API, json={"base": "usd", "quote": "EUR", "rate": "0,9213"}, headers=owner)
    assert made.status_code == 200, made.text
    rate = made.json()
    assert (rate["base"], rate["quote"], rate["rate"]) == ("USD", "EUR", "0.9213")
    again = client.put(API, json={"base": "USD", "quote": "EUR", "rate": "0.95"}, headers=owner)
    assert (again.json()["id"], again.json()["rate"]) == (rate["id"], "0.95")  # the same pair
    assert (
        client.put(
            API, json={"base": "USD", "quote": "EUR", "rate": "1"}, headers=staff
        ).status_code
        == 403
    )
    for bad, field in (({"base": "USD", "quote": "USD", "rate": "1"}, "quote"),
                       ({"base": "USD", "quote": "GBP", "rate": "-2"}, "rate"),
                       ({"base": "USD", "quote": "GBP", "rate": "1.123456789"}, "rate"),
                       ({"base": "US", "quote": "GBP", "rate": "1"}, "base")):  # fmt: skip
        refused = client.put(API, json=bad, headers=owner)
        assert refused.status_code == 422, refused.text
        assert field in refused.text
    listed = client.get(API, headers=staff).json()
    assert [(r["base"], r["quote"], r["rate"]) for r in listed] == [("USD", "EUR", "0.95")]
    assert client.delete(f"{API}/{rate['id']}", headers=staff).status_code == 403
    assert client.delete(f"{API}/{rate['id']}", headers=owner).status_code == 204
    assert client.delete(f"{API}/{rate['id']}", headers=owner).status_code == 404
    assert client.get(API, headers=owner).json() == []


def test_rates_from_the_command_line(tmp_path: Path, database_url: str) -> None:
    env = {"EVERGREEN_DATA_DIR": str(tmp_path / "data"), "EVERGREEN_DATABASE_URL": database_url}
    made = run_cli(["commerce", "rate", "set", "usd", "eur", "0.9213"], env)
    assert (made.returncode, made.stdout) == (0, "Rate set: 1 USD = 0.9213 EUR\n"), made.stderr
    bad = run_cli(["commerce", "rate", "set", "USD", "GBP", "lots"], env)
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "rate" in bad.stderr
    listed = run_cli(["commerce", "rate", "list"], env).stdout.splitlines()
    assert len(listed) == 1
    rate_id, *pair = listed[0].split("\t")
    assert pair == ["USD", "EUR", "0.9213"]
    removed = run_cli(["commerce", "rate", "remove", rate_id], env)
    assert removed.stdout == f"Rate {rate_id} removed.\n"
    assert run_cli(["commerce", "rate", "list"], env).stdout == "No exchange rates yet.\n"
    missing = run_cli(["commerce", "rate", "remove", rate_id], env)
    assert missing.returncode != 0
    assert "Traceback" not in missing.stderr
