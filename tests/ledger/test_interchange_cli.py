"""`evergreen ledger export|import|rules` and `evergreen hours import` as a person runs them."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.cli_helpers import evergreen
from tests.ledger.test_beancount import _bean_check

STATEMENT = (
    "Date,Description,Amount\n"
    "2026-01-05,AMAZON WEB SERVICES,-12.50\n"
    "2026-01-06,KDP royalties,250.00\n"
    "2026-01-07,Unknown shop,-1.00\n"
)


def _run(data: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return evergreen(*args, data_dir=data, database_url=None, stdin=stdin)


def _refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2 with one line naming what to fix, and no traceback."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], result.stderr


def _journal(data: Path) -> str:
    exported = _run(data, "ledger", "export")
    assert exported.returncode == 0, exported.stderr
    return exported.stdout


def test_bank_import_previews_posts_once_and_refuses_a_bad_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for args in (("streams", "add", "Blog"), ("streams", "add", "Books", "--kind", "royalties"),
                 ("ledger", "rules", "add", "amazon web", "--stream", "Blog", "--account",
                  "Expenses:Hosting"),
                 ("ledger", "rules", "add", "kdp", "--stream", "Books", "--account",
                  "Income:Royalties")):  # fmt: skip
        assert _run(data, *args).returncode == 0
    statement = tmp_path / "statement.csv"
    statement.write_text(STATEMENT, encoding="utf-8")

    preview = _run(data, "ledger", "import", str(statement), "--preview")
    assert preview.returncode == 0, preview.stderr
    assert "3 rows: 2 to post, 0 posted already, 1 matched no rule" in preview.stdout
    assert "Income:Royalties" in preview.stdout
    assert "entry:" not in _journal(data)

    declined = _run(data, "ledger", "import", str(statement), stdin="n\n")
    assert declined.returncode == 0
    assert "Nothing posted." in declined.stdout

    posted = _run(data, "ledger", "import", str(statement), stdin="y\n")
    assert posted.returncode == 0, posted.stderr
    assert "Posted 2 entries; 0 were posted already, 1 matched no rule" in posted.stdout
    again = _run(data, "ledger", "import", str(statement), "--yes")
    assert "Posted 0 entries; 2 were posted already" in again.stdout
    journal = _journal(data)
    assert journal.count('  source: "import"') == 2
    assert "Income:Books:Royalties  -250.00 USD" in journal

    bad = tmp_path / "bad.csv"
    bad.write_text(STATEMENT + "2026-01-08,AMAZON WEB SERVICES,12..5\n", encoding="utf-8")
    _refused(_run(data, "ledger", "import", str(bad), "--yes"), "line 5: amount")
    _refused(_run(data, "ledger", "import", str(bad), "--preview"), "line 5: amount")
    unmapped = tmp_path / "unmapped.csv"
    unmapped.write_text("When,What,How much\n2026-01-08,x,1\n", encoding="utf-8")
    _refused(_run(data, "ledger", "import", str(unmapped), "--yes"), "columns", "no date column")
    mapped = _run(data, "ledger", "import", str(unmapped), "--yes", "--map", "date=When",
                  "--map", "description=What", "--map", "amount=How much")  # fmt: skip
    assert mapped.returncode == 0
    assert "1 matched no rule" in mapped.stdout
    _refused(_run(data, "ledger", "import", str(tmp_path / "missing.csv")), "cannot read")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Date,Description,Amount\n2026-01-08,Caf\xe9,1\n".encode("latin-1"))
    _refused(_run(data, "ledger", "import", str(latin), "--yes"), "not UTF-8")
    assert _journal(data).count('  source: "import"') == 2


def test_hours_import_and_the_export_checked_by_bean_check(tmp_path: Path) -> None:
    checker = _bean_check()
    data = tmp_path / "data"
    assert _run(data, "streams", "add", "Blog").returncode == 0
    assert _run(data, "ledger", "add", "--stream", "Blog", "--date", "2026-01-03", "--amount",
                "40", "--type", "income").returncode == 0  # fmt: skip
    clock = tmp_path / "work.timeclock"
    clock.write_text(
        "i 2026-01-05 09:00:00 Blog  outline\no 2026-01-05 11:15:00\n", encoding="utf-8"
    )
    first = _run(data, "hours", "import", str(clock))
    assert first.returncode == 0, first.stderr
    assert "Imported 1 entries (2.25 h); 0 were imported already." in first.stdout
    assert (
        "Imported 0 entries (0 h); 1 were imported already."
        in _run(data, "hours", "import", str(clock), "--format", "timeclock").stdout
    )

    dots = tmp_path / "week.txt"
    dots.write_text("2026-01-06\nBlog  ....\nBlgo  ..\n", encoding="utf-8")
    _refused(
        _run(data, "hours", "import", str(dots), "--format", "timedot"), "line 3: stream", "'Blgo'"
    )
    _refused(_run(data, "hours", "import", str(dots)), "format")
    dots.write_text("2026-01-06\nBlog  ....\n", encoding="utf-8")
    assert "Imported 1 entries (1 h)" in _run(data, "hours", "import", str(dots), "--format",
                                               "timedot").stdout  # fmt: skip

    out = tmp_path / "evergreen.beancount"
    written = _run(data, "ledger", "export", "--format", "beancount", "-o", str(out))
    assert written.returncode == 0
    assert "Wrote 1 transactions" in written.stderr
    text = out.read_text(encoding="utf-8")
    assert text == _journal(data)
    assert '2026-01-05 custom "hours" "Blog" 2.25 "outline"' in text
    assert '2026-01-06 custom "hours" "Blog" 1.00' in text
    checked = subprocess.run([checker, str(out)], capture_output=True, text=True, timeout=60,
                             check=False)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    _refused(_run(data, "ledger", "export", "--format", "ledger"), "format")
