"""`evergreen lending loan fees` and `loan waive-fee` as a person runs them: the fee shown and
asked about first (no answer: one line naming --yes, exit 2; "n": exit 1), a refusal before
anything is asked, a retry with its key recorded once; and a day a command needs (a loan's
start, a new maturity) is never read from an empty value as today."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli_helpers import evergreen, refused, succeeded


def _run(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return evergreen(*args, data_dir=tmp_path / "data", database_url=None, stdin=stdin)


def _ok(tmp_path: Path, *args: str, stdin: str = "") -> str:
    return succeeded(_run(tmp_path, *args, stdin=stdin))


def _late_loan(tmp_path: Path) -> tuple[str, str]:
    """A loan with a $25 late fee on its missed February payment; (loan, fee) IDs."""
    loan = _ok(tmp_path, "lending", "loan", "add", "--borrower", "Ann", "--principal", "10000",
               "--annual-rate", "10", "--months", "12", "--start", "2026-01-01",
               "--late-fee", "25").strip()  # fmt: skip
    assert "1 late fees charged." in _ok(tmp_path, "lending", "late-fees", "--date", "2026-02-15")
    (fee,) = json.loads(_ok(tmp_path, "lending", "loan", "fees", loan, "--json"))
    return loan, str(fee["id"])


def _owed(tmp_path: Path, loan: str) -> str:
    (fee,) = json.loads(_ok(tmp_path, "lending", "loan", "fees", loan, "--json"))
    return str(fee["owed"])


def test_a_fee_is_listed_then_waived_once_asked(tmp_path: Path) -> None:
    loan, fee = _late_loan(tmp_path)
    listed = _ok(tmp_path, "lending", "loan", "fees", loan)
    assert listed.split("\t")[:4] == [fee, "2026-02-12", "late fee on the 2026-02-01 payment",
                                      "25.00"]  # fmt: skip
    waive = ("lending", "loan", "waive-fee", loan, fee, "--amount", "10", "--reason",
             "first late payment", "--date", "2026-02-20")  # fmt: skip
    unanswered = _run(tmp_path, *waive)
    refused(unanswered, "--yes")
    assert "waiving a fee cannot be undone; add --yes to confirm" in unanswered.stderr
    declined = _run(tmp_path, *waive, stdin="n\n")
    assert declined.returncode == 1
    assert (
        f"Fee {fee} on loan {loan} (late fee on the 2026-02-01 payment, 2026-02-12): 25.00 "
        "charged, 0.00 paid, 0.00 waived, 25.00 owed." in declined.stdout
    )
    assert "Waive 10.00 of it on 2026-02-20 (first late payment)? " in declined.stdout
    assert "Nothing waived." in declined.stdout
    assert _owed(tmp_path, loan) == "25.00"
    agreed = _ok(tmp_path, *waive, stdin="y\n")
    assert agreed.splitlines()[-1].endswith(f"waived 10.00 of fee {fee} (late fee on the "
                                            "2026-02-01 payment, 2026-02-12): first late "
                                            "payment.")  # fmt: skip
    assert _owed(tmp_path, loan) == "15.00"
    payoff = json.loads(_ok(tmp_path, "lending", "payoff", loan, "--as-of", "2026-02-20",
                            "--json"))  # fmt: skip
    assert payoff["fees"] == 15.0
    rest = _ok(tmp_path, "lending", "loan", "waive-fee", loan, fee, "--reason", "hardship",
               "--date", "2026-02-20", "--key", "tk-1", "--yes")  # fmt: skip
    assert "waived 15.00 of fee" in rest
    again = _ok(
        tmp_path,
        "lending",
        "loan",
        "waive-fee",
        loan,
        fee,
        "--reason",
        "hardship",
        "--date",
        "2026-02-20",
        "--key",
        "tk-1",
    )  # a retry: nothing asked, nothing more
    assert "was already recorded under this key" in again
    assert _owed(tmp_path, loan) == "0.00"


def test_a_refused_waiver_is_one_line_before_anything_is_asked(tmp_path: Path) -> None:
    loan, fee = _late_loan(tmp_path)
    base = ("lending", "loan", "waive-fee", loan, fee, "--date", "2026-02-20")
    for args, field in (
        ((*base, "--reason", "x", "--amount", "25.01"), "amount: 25.01 is more than the 25.00"),
        ((*base, "--reason", " "), "reason: say why"),
        ((*base, "--reason", "x", "--amount", "ten"), "amount: "),
        (("lending", "loan", "waive-fee", loan, "99999", "--reason", "x"),
         f"loan {loan} has no fee 99999"),
        (("lending", "loan", "waive-fee", loan, fee, "--reason", "x", "--date", "2026-02-11"),
         "the fee's own date"),
    ):  # fmt: skip
        done = _run(tmp_path, *args, stdin="y\n")
        refused(done, field)
        assert "Traceback" not in done.stderr
        assert "Waive" not in done.stdout  # refused before the question
    missing = _run(tmp_path, "lending", "loan", "waive-fee", loan, fee, "--yes")
    assert missing.returncode == 2
    assert "--reason" in missing.stderr
    assert _owed(tmp_path, loan) == "25.00"


def test_an_empty_start_or_maturity_is_refused_naming_it_not_read_as_today(
    tmp_path: Path,
) -> None:
    base = ("lending", "loan", "add", "--borrower", "A", "--principal", "1000", "--annual-rate",
            "10", "--months", "12")  # fmt: skip
    for blank in ("", "  "):
        done = _run(tmp_path, *base, "--start", blank)
        refused(done, "start: is required, as YYYY-MM-DD")
        assert "Traceback" not in done.stderr
    assert json.loads(_ok(tmp_path, "lending", "loan", "list", "--json")) == []
    loan = _ok(tmp_path, *base, "--start", "2026-01-01").strip()
    done = _run(tmp_path, "lending", "loan", "extend", loan, "--maturity", "")
    refused(done, "maturity: is required, as YYYY-MM-DD")
    (shown,) = json.loads(_ok(tmp_path, "lending", "loan", "list", "--json"))
    assert shown["maturity"] == "2027-01-01"
