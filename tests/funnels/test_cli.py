"""`evergreen funnels …` on SQLite and PostgreSQL: add a funnel (printing its id), list it, import
ad spend (a file with a bad row lists it by line, exits 2 and stores nothing), and report."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sqlalchemy import select

from evergreen.db import Database
from evergreen.funnels.models import AdSpend
from tests.cli_helpers import evergreen, refused, succeeded


def _run(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen("funnels", *args, data_dir=tmp_path / "data", database_url=url)


def test_funnels_and_spend_from_the_command_line(tmp_path: Path, database_url: str) -> None:
    added = _run(tmp_path, database_url, "add", "Spring Launch")
    assert (added.returncode, added.stdout.strip()) == (0, "1"), added.stderr
    listed = _run(tmp_path, database_url, "list", "--json")
    assert [(f["slug"], f["status"]) for f in json.loads(listed.stdout)] == [
        ("spring-launch", "draft")
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("day,campaign,source,amount,currency\n2026-12-01,C,fb,10,USD\nsoon,C,fb,1,USD\n")
    refused = _run(tmp_path, database_url, "spend-import", str(bad), "--funnel", "spring-launch")
    assert refused.returncode == 2
    assert "line 3: day:" in refused.stderr
    good = tmp_path / "good.csv"
    good.write_text("day,campaign,source,amount,currency\n2026-12-01,C,fb,10,USD\n")
    stored = _run(tmp_path, database_url, "spend-import", str(good), "--funnel", "spring-launch")
    assert stored.returncode == 0, stored.stderr
    assert stored.stdout == "1 row of ad spend stored.\n"
    shown = _run(tmp_path, database_url, "report", "spring-launch", "--start", "2026-12-01",
                 "--end", "2026-12-31", "--json")  # fmt: skip
    assert json.loads(shown.stdout)["total"]["ad_spend"] == "10.00"
    text = _run(
        tmp_path, database_url, "report", "1", "--start", "2026-12-01", "--end", "2026-12-31"
    )
    assert "ad spend 10.00 USD" in text.stdout
    missing = _run(tmp_path, database_url, "report", "nope")
    assert missing.returncode == 2
    assert len(missing.stderr.strip().splitlines()) == 1


def test_a_spend_file_without_rows_or_not_in_utf8_is_one_line_naming_it(
    tmp_path: Path, database_url: str
) -> None:
    """A header alone imports nothing and says so (exit 2, as every import); a Latin-1 file is
    refused by name, never stored with replacement characters; UTF-8 with a BOM is read."""
    assert _run(tmp_path, database_url, "add", "Launch").returncode == 0
    header, latin, utf8 = tmp_path / "header.csv", tmp_path / "latin.csv", tmp_path / "utf8.csv"
    header.write_text("day,campaign,source,amount,currency\n")
    row = "day,campaign,source,amount,currency\n2026-12-01,Café,fb,10,EUR\n"
    latin.write_bytes(row.encode("latin-1"))
    utf8.write_bytes(row.encode("utf-8-sig"))
    refused(_run(tmp_path, database_url, "spend-import", str(header), "--funnel", "launch"),
            "no rows")  # fmt: skip
    not_utf8 = _run(tmp_path, database_url, "spend-import", str(latin), "--funnel", "launch")
    refused(not_utf8, "not UTF-8")
    assert str(latin) in not_utf8.stderr
    assert _campaigns(database_url) == []
    stored = _run(tmp_path, database_url, "spend-import", str(utf8), "--funnel", "launch")
    assert succeeded(stored) == "1 row of ad spend stored.\n"
    assert _campaigns(database_url) == ["Café"]


def _campaigns(url: str) -> list[str]:
    db = Database(url)
    with db.session(writer=False) as session:
        found = list(session.scalars(select(AdSpend.campaign)))
    db.dispose()
    return found
