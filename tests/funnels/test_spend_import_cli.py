"""`evergreen funnels spend-import` with refused rows: each is listed once on stderr (the first
50), then one summary line that counts them all (singular or plural) and repeats none; exit 2,
nothing stored. A stored file says "1 row" or "N rows"."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.cli_helpers import evergreen, succeeded

HEADER = "day,campaign,source,amount,currency\n"


def _run(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen("funnels", *args, data_dir=tmp_path / "data", database_url=url)


def _import(tmp_path: Path, url: str, rows: list[str]) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "spend.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows))
    return _run(tmp_path, url, "spend-import", str(path), "--funnel", "launch")


def test_refused_rows_are_listed_once_and_counted_in_words(
    tmp_path: Path, database_url: str
) -> None:
    assert _run(tmp_path, database_url, "add", "Launch").returncode == 0
    one = _import(tmp_path, database_url, ["2026-12-01,C,fb,xx,EUR"])
    assert one.returncode == 2
    assert one.stderr.splitlines() == [
        "line 2: amount: 'xx' is not a number like 12.50",
        "Error: nothing stored: 1 row refused; fix it and import the file again",
    ]
    two = _import(tmp_path, database_url, ["2026-12-01,C,fb,xx,EUR", "soon,C,fb,1,EUR",
                                           "2026-12-02,C,fb,1,EUR"])  # fmt: skip
    assert two.returncode == 2
    assert two.stderr.count("line 2:") == 1
    assert two.stderr.splitlines()[-1] == (
        "Error: nothing stored: 2 rows refused; fix them and import the file again"
    )
    many = _import(tmp_path, database_url, [f"2026-12-01,C{n},fb,x,EUR" for n in range(55)])
    lines = many.stderr.splitlines()
    assert len(lines) == 51
    assert lines[-1] == (
        "Error: nothing stored: 55 rows refused (5 more not listed); fix them and import the "
        "file again"
    )
    both = _import(tmp_path, database_url, ["2026-12-01,C,fb,1,EUR", "2026-12-02,C,fb,1,EUR"])
    assert succeeded(both) == "2 rows of ad spend stored.\n"
    assert succeeded(_import(tmp_path, database_url, ["2026-12-03,C,fb,1,EUR"])) == (
        "1 row of ad spend stored.\n"
    )
