"""`evergreen lending settings` and `evergreen lending document …` on SQLite and PostgreSQL: the
capital for lending shown, set and forgotten; documents filed from a file with the upload's
checks (type by the first bytes, 20 MB), listed per borrower or loan, removed only with --yes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli_helpers import evergreen, succeeded

PDF = b"%PDF-1.4\n" + b"x" * 2000


def _run(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen("lending", *args, data_dir=tmp_path / "data", database_url=url)


def _ok(tmp_path: Path, url: str, *args: str) -> str:
    return succeeded(_run(tmp_path, url, *args))


def _refused(done: subprocess.CompletedProcess[str], start: str) -> None:
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"Error: {start}"), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_the_capital_for_lending_is_shown_set_and_forgotten(
    tmp_path: Path, database_url: str
) -> None:
    assert _ok(tmp_path, database_url, "settings") == "capital_available: not set\n"
    shown = json.loads(_ok(tmp_path, database_url, "settings", "--capital", "80,000", "--json"))
    assert shown == {"capital_available": 80000.0}
    assert _ok(tmp_path, database_url, "settings") == "capital_available: 80000.00\n"
    _refused(_run(tmp_path, database_url, "settings", "--capital", "lots"), "capital_available: ")
    kept = json.loads(_ok(tmp_path, database_url, "settings", "--json"))
    assert kept == {"capital_available": 80000.0}
    forgot = json.loads(_ok(tmp_path, database_url, "settings", "--capital", "", "--json"))
    assert forgot == {"capital_available": None}


def test_documents_are_filed_listed_and_removed_from_the_command_line(
    tmp_path: Path, database_url: str
) -> None:
    ann = _ok(tmp_path, database_url, "borrower", "add", "Ann Rehab").strip()
    loan = _ok(tmp_path, database_url, "loan", "add", "--borrower", "Bob Flip", "--principal",
               "50000", "--annual-rate", "10", "--months", "6",
               "--start", "2026-01-01").strip()  # fmt: skip
    pdf = tmp_path / "id-scan.pdf"
    pdf.write_bytes(PDF)
    first = _ok(tmp_path, database_url, "document", "add", str(pdf), "--borrower", ann,
                "--kind", "id", "--note", " passport ").strip()  # fmt: skip
    second = _ok(tmp_path, database_url, "document", "add", str(pdf), "--loan", loan, "--kind",
                 "insurance", "--name", "Policy 2026.pdf").strip()  # fmt: skip
    listed = json.loads(_ok(tmp_path, database_url, "document", "list", "--borrower", ann,
                            "--json"))  # fmt: skip
    assert [(d["id"], d["kind"], d["name"], d["note"], d["media_type"], d["size"])
            for d in listed] == [(int(first), "id", "id-scan.pdf", "passport",
                                  "application/pdf", len(PDF))]  # fmt: skip
    by_loan = _ok(tmp_path, database_url, "document", "list", "--loan", loan)
    assert by_loan == f"{second}\tinsurance\tPolicy 2026.pdf\t{len(PDF)}\t\n"
    stored = list((tmp_path / "data" / "lending" / "borrowers").rglob("*.pdf"))
    assert sorted(p.read_bytes() for p in stored) == [PDF, PDF]
    # Removal asks for --yes first and keeps everything until given it.
    asked = _run(tmp_path, database_url, "document", "remove", first)
    _refused(asked, "removing id-scan.pdf deletes its file and cannot be undone; add --yes")
    assert len(json.loads(_ok(tmp_path, database_url, "document", "list", "--borrower", ann,
                              "--json"))) == 1  # fmt: skip
    gone = _ok(tmp_path, database_url, "document", "remove", first, "--yes")
    assert gone == f"Removed document {first} (id-scan.pdf).\n"
    assert _ok(tmp_path, database_url, "document", "list", "--borrower", ann, "--json") == "[]\n"
    assert len(list((tmp_path / "data" / "lending" / "borrowers").rglob("*.pdf"))) == 1
    _refused(_run(tmp_path, database_url, "document", "remove", "999", "--yes"),
             "there is no document 999")  # fmt: skip


def test_a_refused_document_is_one_line_and_stores_nothing(
    tmp_path: Path, database_url: str
) -> None:
    ann = _ok(tmp_path, database_url, "borrower", "add", "Ann Rehab").strip()
    text = tmp_path / "notes.pdf"
    text.write_bytes(b"just some text, not a PDF")
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024))
    pdf = tmp_path / "ok.pdf"
    pdf.write_bytes(PDF)
    add = ("document", "add")
    for args, start in (
        ((*add, str(text), "--borrower", ann, "--kind", "id"), "file: must be a PDF or an image"),
        ((*add, str(big), "--borrower", ann, "--kind", "id"), "file: a document must be at most"),
        ((*add, str(tmp_path / "none.pdf"), "--borrower", ann, "--kind", "id"), "file: cannot"),
        ((*add, str(tmp_path), "--borrower", ann, "--kind", "id"), "file: cannot read"),
        ((*add, str(pdf), "--borrower", ann, "--kind", "passport"), "kind: must be one of"),
        ((*add, str(pdf), "--kind", "id"), "borrower: give either --borrower or --loan"),
        ((*add, str(pdf), "--borrower", "99", "--kind", "id"), "there is no borrower 99"),
        (("document", "list", "--loan", "7"), "there is no loan 7"),
    ):
        _refused(_run(tmp_path, database_url, *args), start)
    assert _ok(tmp_path, database_url, "document", "list", "--borrower", ann, "--json") == "[]\n"
    folder = tmp_path / "data" / "lending" / "borrowers"
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))
