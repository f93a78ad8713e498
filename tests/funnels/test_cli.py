"""`evergreen funnels …` on SQLite and PostgreSQL: add a funnel (printing its id), list it, import
ad spend (a file with a bad row lists it by line, exits 2 and stores nothing), and report."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli_helpers import evergreen


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
    assert "1 rows" in stored.stdout
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
