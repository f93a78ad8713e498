"""`evergreen lending …` as a person runs it, with the issue's contract: `loan add` prints the
ID, `payment`, `payoff --json` and `portfolio --json` print exactly the promised keys, and a
refused value is one line naming it, exit 2, with nothing stored."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from evergreen.db import utcnow
from evergreen.lending.cli import loans as loan_commands
from tests.cli_helpers import evergreen, refused, succeeded


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen(*args, data_dir=tmp_path / "data", database_url=None)


def _ok(tmp_path: Path, *args: str) -> str:
    return succeeded(_run(tmp_path, *args))


def test_the_contract_loan_payment_payoff_and_portfolio(tmp_path: Path) -> None:
    """$100,000 at 12 % 30/360 from Jan 15 with 2 points at closing; February's 1,000 paid.
    On March 1: 16 days' interest = 533.33, per diem 33.33. XIRR of -98,000 (Jan 15), +1,000
    (Feb 15), +100,533.33 (Mar 1) is 0.3339980818… (Excel: =XIRR(...))."""
    loan = _ok(tmp_path, "lending", "loan", "add", "--borrower", "Acme LLC", "--principal",
               "100000", "--annual-rate", "12", "--months", "12", "--start", "2026-01-15",
               "--points", "2", "--interest-only", "--day-count", "30/360").strip()  # fmt: skip
    assert loan.isdigit()
    paid = _ok(tmp_path, "lending", "payment", loan, "--date", "2026-02-15", "--amount", "1000")
    assert "interest 1000.00, principal 0.00" in paid
    payoff = json.loads(_ok(tmp_path, "lending", "payoff", loan, "--as-of", "2026-03-01", "--json"))
    assert payoff == {"principal": 100000.0, "interest": 533.33, "fees": 0.0,
                      "total": 100533.33, "per_diem": 33.33}  # fmt: skip
    book = json.loads(_ok(tmp_path, "lending", "portfolio", "--as-of", "2026-03-01", "--json"))
    assert set(book) == {"deployed", "loans", "xirr"}
    assert (book["deployed"], book["loans"]) == (100000.0, 1)
    assert abs(book["xirr"] - 0.3339980818) < 1e-9
    shown = json.loads(_ok(tmp_path, "lending", "loan", "show", loan, "--as-of", "2026-03-20",
                           "--json"))  # fmt: skip
    assert (shown["next_due"], shown["days_past_due"], shown["bucket"]) == ("2026-03-15", 5,
                                                                             "current")  # fmt: skip
    borrowers = json.loads(_ok(tmp_path, "lending", "borrower", "list", "--json"))
    assert [b["name"] for b in borrowers] == ["Acme LLC"]


def test_draws_extension_and_charge_off_from_the_command_line(tmp_path: Path) -> None:
    assert _ok(tmp_path, "lending", "borrower", "add", "Build Co", "--kind", "llc").strip() == "1"
    loan = _ok(tmp_path, "lending", "loan", "add", "--borrower", "Build Co", "--principal",
               "50000", "--annual-rate", "0.1", "--months", "6", "--start", "2026-01-01",
               "--interest-only", "--commitment", "20000", "--draw-fee", "50").strip()  # fmt: skip
    draw = _ok(tmp_path, "lending", "draw", "request", loan, "--amount", "15000", "--date",
               "2026-01-10").strip()  # fmt: skip
    assert "approved" in _ok(tmp_path, "lending", "draw", "approve", draw, "--date", "2026-01-11")
    assert "funded" in _ok(tmp_path, "lending", "draw", "fund", draw, "--date", "2026-01-12")
    _ok(tmp_path, "lending", "loan", "extend", loan, "--maturity", "2026-10-01", "--fee", "500",
        "--date", "2026-02-01")  # fmt: skip
    quote = json.loads(_ok(tmp_path, "lending", "payoff", loan, "--as-of", "2026-02-01", "--json"))
    assert (quote["principal"], quote["fees"]) == (65000.0, 550.0)
    off = _ok(tmp_path, "lending", "loan", "charge-off", loan, "--date", "2026-03-01", "--yes")
    assert "65550.00 written off" in off
    listed = json.loads(_ok(tmp_path, "lending", "loan", "list", "--json"))
    assert [(x["status"], x["balance"]) for x in listed] == [("charged_off", "0.00")]


def test_a_refused_value_is_one_line_and_exit_2(tmp_path: Path) -> None:
    base = ("lending", "loan", "add", "--borrower", "A", "--months", "12", "--start",
            "2026-01-01")  # fmt: skip
    for args, start in (
        ((*base, "--principal", "lots", "--annual-rate", "10"), "Error: principal: "),
        ((*base, "--principal", "1000", "--annual-rate", "250"), "Error: annual_rate: "),
        (
            (*base, "--principal", "1000", "--annual-rate", "10", "--day-count", "30/365"),
            "Error: day_count: ",
        ),
        (
            ("lending", "payment", "99", "--date", "2026-01-01", "--amount", "5"),
            "Error: there is no loan 99",
        ),
        (("lending", "payoff", "1", "--as-of", "someday"), "Error: as_of: "),
        (  # a bare number is no day, even one Python reads as ISO 8601's basic form
            (*base[:-1], "20260101", "--principal", "1000", "--annual-rate", "10"),
            "Error: start: must be a date as YYYY-MM-DD (got '20260101')",
        ),
    ):
        done = _run(tmp_path, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.startswith(start), done.stderr
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert json.loads(_ok(tmp_path, "lending", "loan", "list", "--json")) == []
    assert json.loads(_ok(tmp_path, "lending", "borrower", "list", "--json")) == []


def test_borrower_invite_prints_a_link_and_refuses_a_borrower_without_email(
    tmp_path: Path,
) -> None:
    with_mail = _ok(tmp_path, "lending", "borrower", "add", "Ann Rehab", "--email",
                    "ann@rehab.example").strip()  # fmt: skip
    no_mail = _ok(tmp_path, "lending", "borrower", "add", "Bob Flip").strip()
    done = _run(tmp_path, "lending", "borrower", "invite", with_mail)
    assert done.returncode == 0, done.stderr
    assert "/borrower/invite?token=" in done.stdout
    assert "Invitation: works once" in done.stderr
    refused = _run(tmp_path, "lending", "borrower", "invite", no_mail)
    assert refused.returncode == 2
    assert "email" in refused.stderr
    assert "has no email" in refused.stderr
    missing = _run(tmp_path, "lending", "borrower", "invite", "999")
    assert missing.returncode != 0
    assert "no borrower 999" in missing.stderr


def test_prepayment_terms_from_the_command_line(tmp_path: Path) -> None:
    """Two months' minimum interest on 50,000 at 12 % is 1,000; paid off on day 10 with
    166.67 accrued: 833.33 is added to the payoff's fees."""
    loan = _ok(tmp_path, "lending", "loan", "add", "--borrower", "Quick Flip", "--principal",
               "50000", "--annual-rate", "12", "--months", "6", "--start", "2026-01-01",
               "--interest-only", "--min-interest-months", "2").strip()  # fmt: skip
    payoff = json.loads(_ok(tmp_path, "lending", "payoff", loan, "--as-of", "2026-01-11", "--json"))
    assert (payoff["interest"], payoff["fees"], payoff["total"]) == (166.67, 833.33, 51000.0)
    bad = _run(tmp_path, "lending", "loan", "add", "--borrower", "X", "--principal", "1000",
               "--annual-rate", "12", "--months", "6", "--start", "2026-01-01",
               "--prepay-pct", "2")  # fmt: skip
    assert bad.returncode == 2
    assert "prepay_months" in bad.stderr


def _note(tmp_path: Path) -> str:
    return _ok(tmp_path, "lending", "loan", "add", "--borrower", "Ann", "--principal", "10000",
               "--annual-rate", "10", "--months", "12", "--start", "2026-01-01",
               "--late-fee", "25").strip()  # fmt: skip


def _status(tmp_path: Path) -> str:
    (loan,) = json.loads(_ok(tmp_path, "lending", "loan", "list", "--json"))
    return str(loan["status"])


def test_charge_off_asks_first_and_a_script_must_say_yes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --yes: refused in one line when no one can answer (exit 2), asked [y/N] at a
    terminal (no: exit 1); each time nothing is charged off."""
    loan = _note(tmp_path)
    off = ("lending", "loan", "charge-off", loan, "--date", "2026-03-01")
    refused(_run(tmp_path, *off), "--yes")
    assert _status(tmp_path) == "open"
    monkeypatch.setattr(loan_commands, "stdin_is_terminal", lambda: True)
    declined = evergreen(*off, data_dir=tmp_path / "data", database_url=None, stdin="n\n")
    assert declined.returncode == 1
    assert "[y/N]" in declined.stdout
    assert "Nothing charged off." in declined.stdout
    assert _status(tmp_path) == "open"
    agreed = evergreen(*off, data_dir=tmp_path / "data", database_url=None, stdin="y\n")
    assert "Charge off loan" in succeeded(agreed)
    assert "10000.00 written off" in agreed.stdout
    assert _status(tmp_path) == "charged_off"


def test_each_payment_is_recorded_and_a_key_sent_again_says_so(tmp_path: Path) -> None:
    loan = _note(tmp_path)
    pay = ("lending", "payment", loan, "--amount", "100", "--date", "2026-05-01")
    first, second = _ok(tmp_path, *pay), _ok(tmp_path, *pay)
    assert first.split()[1] != second.split()[1]  # "Payment ID on loan …": two payments
    keyed = _ok(tmp_path, *pay, "--key", "chk-1")
    again = _ok(tmp_path, *pay, "--key", "chk-1")
    assert "already recorded" not in keyed
    assert again.startswith(f"Payment {keyed.split()[1]} on loan {loan} was already recorded")
    clash = _run(tmp_path, "lending", "payment", loan, "--amount", "120", "--date",
                 "2026-05-01", "--key", "chk-1")  # fmt: skip
    refused(clash, "key")
    payoff = json.loads(_ok(tmp_path, "lending", "payoff", loan, "--as-of", "2026-05-01",
                            "--json"))  # fmt: skip
    assert payoff["interest"] == 33.33  # four months' 333.33, less the three payments of 100


def test_a_draw_requested_again_under_its_key_prints_the_first_draw(tmp_path: Path) -> None:
    loan = _ok(tmp_path, "lending", "loan", "add", "--borrower", "Build Co", "--principal",
               "50000", "--annual-rate", "10", "--months", "6", "--start", "2026-01-01",
               "--interest-only", "--commitment", "20000").strip()  # fmt: skip
    ask = ("lending", "draw", "request", loan, "--amount", "5000", "--date", "2026-01-10")
    keyed = _run(tmp_path, *ask, "--key", "req-1")
    again = _run(tmp_path, *ask, "--key", "req-1")
    assert succeeded(keyed).strip().isdigit()
    assert succeeded(again) == keyed.stdout  # the first draw's ID, for scripts
    assert "already requested" not in keyed.stderr
    assert again.stderr.startswith(f"Draw {keyed.stdout.strip()} on loan {loan} was already "
                                   "requested")  # fmt: skip
    assert _ok(tmp_path, *ask).strip() != keyed.stdout.strip()  # no key: a request of its own
    refused(_run(tmp_path, "lending", "draw", "request", loan, "--amount", "6000", "--date",
                 "2026-01-10", "--key", "req-1"), "key")  # fmt: skip


def test_late_fees_as_of_a_day_after_today_are_refused(tmp_path: Path) -> None:
    _note(tmp_path)
    tomorrow = (utcnow().date() + timedelta(days=1)).isoformat()
    done = _run(tmp_path, "lending", "late-fees", "--date", tomorrow)
    refused(done, "date")
    assert "must not be after today" in done.stderr
    assert "0 late fees charged." in _ok(tmp_path, "lending", "late-fees", "--date", "2026-01-05")
