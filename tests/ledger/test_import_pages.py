"""The import, rules and download pages over HTTP, as the owner and as others."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.ledger import service
from evergreen.ledger.models import ImportRule, JournalEntry
from evergreen.ledger.rules import StreamKind
from tests.http_helpers import csrf_from, sign_in

STATEMENT = (
    "Date;Description;Amount\n05.01.2026;AMAZON WEB SERVICES;-12,50\n06.01.2026;Coffee;-3,00\n"
)
_TOKEN = re.compile(r'name="token" value="([A-Za-z0-9_-]+)"')


def _stream(db: Database) -> int:
    with db.session() as session:
        return service.add_stream(
            session, service.StreamDraft("Blog", StreamKind.ARTICLES, "EUR"), date(2026, 1, 1)
        ).id


def _entries(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(JournalEntry)) or 0


def _upload(client: TestClient, csrf: str, text: str, **fields: str) -> Any:
    files = {"file": ("statement.csv", text.encode(), "text/csv")}
    return client.post("/ledger/import", data={"csrf_token": csrf, **fields}, files=files)


def test_upload_preview_confirm_and_import_again(
    client: TestClient, db: Database, people: dict[str, str], settings: Settings
) -> None:
    stream_id = _stream(db)
    sign_in(client, people["owner"])
    rules_page = client.get("/ledger/rules")
    assert rules_page.status_code == 200
    assert "No rules yet" in rules_page.text
    assert 'name="priority" value="0"' in rules_page.text
    csrf = csrf_from(rules_page.text)
    bad = client.post("/ledger/rules", data={"csrf_token": csrf, "pattern": "(x", "regex": "on",
                      "stream": str(stream_id), "account": "Expenses:Hosting"})  # fmt: skip
    assert bad.status_code == 400
    assert "not a regular expression" in bad.text
    added = client.post("/ledger/rules", data={"csrf_token": csrf, "pattern": "amazon web",
                        "stream": str(stream_id), "account": "Expenses:Hosting"},
                        follow_redirects=False)  # fmt: skip
    assert added.status_code == 303

    preview = _upload(client, csrf, STATEMENT)
    assert preview.status_code == 200, preview.text
    assert "2 rows: <strong>1</strong> to post" in preview.text
    assert "no rule matched: add one" in preview.text
    assert "/ledger/rules?pattern=Coffee" in preview.text
    assert "-12.50 EUR" in preview.text
    assert _entries(db) == 0
    token = _TOKEN.search(preview.text)
    assert token is not None
    assert (settings.data_dir / "imports" / f"{token[1]}.csv").is_file()

    posted = client.post("/ledger/import/confirm", data={"csrf_token": csrf, "token": token[1],
                         "filename": "statement.csv", "account": "Assets:Bank"})  # fmt: skip
    assert posted.status_code == 200, posted.text
    assert "<strong>1</strong> entry posted, 0 posted already" in posted.text
    assert _entries(db) == 1
    assert not (settings.data_dir / "imports" / f"{token[1]}.csv").exists()
    stale = client.post("/ledger/import/confirm", data={"csrf_token": csrf, "token": token[1]})
    assert stale.status_code == 400
    assert "upload the file again" in stale.text

    again = _upload(client, csrf, STATEMENT)
    assert "<strong>0</strong> to post, 1 posted already" in again.text
    assert "Nothing new to post" in again.text
    assert 'id="confirm-import"' not in again.text

    download = client.get("/ledger/export.beancount")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith('attachment; filename="evergreen-')
    assert "Expenses:Blog:Hosting  12.50 EUR" in download.text


def test_a_bad_file_shows_its_lines_and_offers_no_confirmation(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _stream(db)
    sign_in(client, people["owner"])
    csrf = csrf_from(client.get("/ledger/import").text)
    shown = _upload(client, csrf, STATEMENT + "32.01.2026;Coffee;-3,00\n")
    assert shown.status_code == 200
    assert "Line 4: date:" in shown.text
    assert 'id="confirm-import"' not in shown.text
    missing = _upload(client, csrf, "When;What;Sum\n05.01.2026;x;1\n")
    assert missing.status_code == 400
    assert "no date column" in missing.text
    mapped = _upload(client, csrf, "When;What;Sum\n05.01.2026;x;1\n", column_date="When",
                     column_description="What", column_amount="Sum")  # fmt: skip
    assert mapped.status_code == 200
    assert "1 matched no rule" in mapped.text
    nothing = client.post("/ledger/import", data={"csrf_token": csrf})
    assert nothing.status_code == 400
    assert "choose your bank" in nothing.text
    latin = client.post("/ledger/import", data={"csrf_token": csrf},
                        files={"file": ("x.csv", "Date,Description,Amount\n2026-01-01,Caf\xe9,1\n"
                                        .encode("latin-1"), "text/csv")})  # fmt: skip
    assert latin.status_code == 400
    assert "not UTF-8" in latin.text
    assert _entries(db) == 0


def test_rules_are_changed_and_deleted_after_a_confirmation(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    stream_id = _stream(db)
    sign_in(client, people["owner"])
    csrf = csrf_from(client.get("/ledger/rules").text)
    client.post("/ledger/rules", data={"csrf_token": csrf, "pattern": "stripe",
                "stream": str(stream_id), "account": "Income:Sales"})  # fmt: skip
    with db.session() as session:
        rule_id = session.scalars(select(ImportRule.id)).one()
    edit = client.get(f"/ledger/rules?edit={rule_id}")
    assert 'value="stripe"' in edit.text
    assert f'action="/ledger/rules/{rule_id}"' in edit.text
    changed = client.post(f"/ledger/rules/{rule_id}", data={"csrf_token": csrf, "pattern": "paddle",
                          "stream": str(stream_id), "account": "Income:Sales", "priority": "3"},
                          follow_redirects=False)  # fmt: skip
    assert changed.status_code == 303
    asked = client.post(f"/ledger/rules/{rule_id}/delete", data={"csrf_token": csrf})
    assert asked.status_code == 200
    assert "Delete the rule" in asked.text
    with db.session() as session:
        assert session.get(ImportRule, rule_id).pattern == "paddle"  # type: ignore[union-attr]
    deleted = client.post(f"/ledger/rules/{rule_id}/delete", data={"csrf_token": csrf,
                          "confirm": "yes"}, follow_redirects=False)  # fmt: skip
    assert deleted.status_code == 303
    with db.session() as session:
        assert session.get(ImportRule, rule_id) is None


def test_staff_may_not_import_or_download(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    sign_in(client, people["staff"])
    assert client.get("/ledger/import").status_code == 403
    assert client.get("/ledger/export.beancount").status_code == 403
    assert client.get("/ledger/rules").status_code == 403
