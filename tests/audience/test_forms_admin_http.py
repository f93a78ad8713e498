"""The owner's sign-up forms over the API and the command line: created, read with the page
address and snippet, changed in part, switched off (its page then 404s), deleted; staff read,
partners are kept out, and a bad value is refused naming the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from evergreen.audience import service
from evergreen.db import Database
from tests.cli_helpers import evergreen, refused, succeeded
from tests.http_helpers import token_for

API = "/api/v1/audience"


def _headers(db: Database, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(db, email)}"}


def test_forms_are_made_read_changed_and_deleted(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner, staff = _headers(db, people["owner"]), _headers(db, people["staff"])
    partner = _headers(db, people["partner"])
    with db.session() as session:
        news = service.create_list(session, "News").id
        deals = service.create_list(session, "Deals").id
    body = {"name": "Blog footer", "slug": "footer", "list_ids": [news],
            "wording": "Yes, send me the newsletter.", "field_names": ["country"],
            "allowed_origins": ["https://blog.example"]}  # fmt: skip
    assert client.post(f"{API}/forms", json=body, headers=staff).status_code == 403
    made = client.post(f"{API}/forms", json=body, headers=owner)
    assert made.status_code == 201, made.text
    form = made.json()
    assert (form["slug"], form["list_ids"], form["enabled"]) == ("footer", [news], True)
    assert form["allowed_origins"] == ["https://blog.example"]
    assert form["page_url"] == "http://testserver/f/footer"
    assert 'action="http://testserver/f/footer"' in form["snippet"]
    assert 'name="field.country"' in form["snippet"]
    assert client.get("/f/footer").status_code == 200
    taken = client.post(f"{API}/forms", json=body, headers=owner)
    assert taken.status_code == 409
    assert "/f/footer" in taken.text

    listed = client.get(f"{API}/forms", headers=staff)
    assert [f["id"] for f in listed.json()] == [form["id"]]
    assert client.get(f"{API}/forms", headers=partner).status_code == 403

    url = f"{API}/forms/{form['id']}"
    changed = client.patch(url, json={"list_ids": [news, deals], "enabled": False}, headers=owner)
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert (after["list_ids"], after["enabled"], after["wording"]) == (
        [news, deals], False, "Yes, send me the newsletter."
    )  # fmt: skip
    assert after["allowed_origins"] == ["https://blog.example"]  # left out: kept
    assert client.get("/f/footer").status_code == 404  # switched off
    assert client.patch(url, json={"enabled": True}, headers=staff).status_code == 403

    for bad, field in (({"slug": "Not A Slug!"}, "slug"), ({"list_ids": [999_999]}, "list_ids"),
                       ({"redirect_url": "javascript:alert(1)"}, "redirect_url"),
                       ({"wording": " "}, "wording")):  # fmt: skip
        refused = client.patch(url, json=bad, headers=owner)
        assert refused.status_code == 422, (bad, refused.text)
        assert field in refused.text
    assert client.get(url, headers=staff).json()["enabled"] is False  # nothing half-stored

    assert client.delete(url, headers=staff).status_code == 403
    assert client.delete(url, headers=owner).status_code == 204
    assert client.get(url, headers=staff).status_code == 404
    assert client.delete(url, headers=owner).status_code == 404


def test_forms_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"

    def run(*args: str, stdin: str = "") -> Any:
        return evergreen("audience", *args, data_dir=data, database_url=None, stdin=stdin)

    succeeded(run("lists", "add", "News"))
    assert "No sign-up forms yet" in succeeded(run("forms"))
    refused(run("forms", "add", "Footer", "--list", "Nope"), "list")
    made = succeeded(run("forms", "add", "Blog footer", "--list", "News", "--no-name"))
    assert "Created form 1: http://127.0.0.1:8000/f/blog-footer" in made
    refused(run("forms", "add", "Blog footer", "--list", "News"), "slug")
    assert "1  Blog footer  http://127.0.0.1:8000/f/blog-footer  (News; 0 sign-ups)" in (
        succeeded(run("forms"))
    )
    shown = succeeded(run("forms", "show", "1"))
    assert 'action="http://127.0.0.1:8000/f/blog-footer"' in shown
    assert 'name="name"' not in shown  # --no-name: the snippet asks only the address
    assert "is off" in succeeded(run("forms", "enable", "1", "--off"))
    assert "0 sign-ups; off)" in succeeded(run("forms"))
    kept = run("forms", "remove", "1", stdin="n\n")
    assert kept.returncode == 1
    assert "Blog footer" in succeeded(run("forms"))
    assert "Removed form 1" in succeeded(run("forms", "remove", "1", "--yes"))
    refused(run("forms", "show", "1"), "form")
