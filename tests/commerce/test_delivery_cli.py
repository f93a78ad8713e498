"""`evergreen commerce grant add|list|revoke` on SQLite and PostgreSQL: a grant by hand (once
per source, with its license key), the product's grants listed, a source revoked; bad input is
one line naming the field, exit 2, nothing stored."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from evergreen.commerce import service
from evergreen.db import Database
from tests.cli_helpers import evergreen


def _run(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen("commerce", *args, data_dir=tmp_path / "data", database_url=url)


def test_grants_from_the_command_line(tmp_path: Path, database_url: str, db: Database) -> None:
    with db.session() as session:
        row = service.add_product(session, service.ProductDraft("App", "digital"))
        service.set_delivery(session, row.id, 3, None, 2)
    added = _run(tmp_path, database_url, "grant", "add", "App", "--email", "Ann@Example.com")
    assert added.returncode == 0, added.stderr
    assert re.match(
        r"^Grant 1: ann@example.com \(active, manual:ann@example.com\) key [A-Z2-7-]{23}$",
        added.stdout.strip(),
    )
    again = _run(tmp_path, database_url, "grant", "add", "App", "--email", "ann@example.com")
    assert again.stdout == added.stdout
    _run(tmp_path, database_url, "grant", "add", "App", "--email", "bob@example.com",
         "--source", "order:12")  # fmt: skip
    listed = _run(tmp_path, database_url, "grant", "list", "App").stdout.splitlines()
    assert [line.split()[1:5] for line in listed] == [
        ["bob@example.com", "order:12", "active", "downloads"],
        ["ann@example.com", "manual:ann@example.com", "active", "downloads"],
    ]
    assert all("0/3" in line and "0/2" in line for line in listed)
    revoked = _run(tmp_path, database_url, "grant", "revoke", "order:12", "--reason", "refund")
    assert revoked.stdout.strip() == "Revoked grant 2 (bob@example.com)."
    assert "revoked" in _run(tmp_path, database_url, "grant", "list", "App").stdout
    none = _run(tmp_path, database_url, "grant", "revoke", "order:99")
    assert none.stdout.strip() == "No grant has the source 'order:99'."
    bad = _run(tmp_path, database_url, "grant", "add", "App", "--email", "nobody")
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "email" in bad.stderr
    with db.session() as session:
        assert len(service.grants_of_product(session, row.id)) == 2
