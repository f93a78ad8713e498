"""`evergreen household …` as a person runs it: record a household, see its month, and a
refused value is one line naming it, with nothing stored."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli_helpers import evergreen, succeeded


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen(*args, data_dir=tmp_path / "data", database_url=None)


def _ok(tmp_path: Path, *args: str) -> str:
    return succeeded(_run(tmp_path, *args))


def test_a_household_is_recorded_and_shown_from_the_command_line(tmp_path: Path) -> None:
    _ok(tmp_path, "streams", "add", "Blog", "--kind", "affiliate", "--started", "2026-01-01")
    _ok(tmp_path, "ledger", "add", "--stream", "Blog", "--date", "2026-03-14", "--amount", "600",
        "--type", "income")  # fmt: skip
    _ok(tmp_path, "hours", "add", "--stream", "Blog", "--date", "2026-03-02", "--hours", "1")
    _ok(tmp_path, "household", "set", "--family-size", "2", "--region", "CA")
    _ok(tmp_path, "household", "set", "--square-feet", "1000", "--loan-amount", "400000",
        "--tax-rate", "25%")  # fmt: skip
    added = _ok(tmp_path, "household", "income", "add", "Day job", "--amount", "5000",
                "--withheld", "900")  # fmt: skip
    assert "Added income 'Day job'" in added
    _ok(tmp_path, "household", "debt", "add", "Car", "--payment", "300", "--balance", "7000")
    _ok(tmp_path, "household", "expense", "add", "housing", "--amount", "2000", "--note", "Rent")
    _ok(tmp_path, "household", "expense", "add", "food", "--amount", "600")
    shown = json.loads(_ok(tmp_path, "household", "show", "--month", "2026-03", "--json"))
    assert shown["profile"] == {"family_size": 2, "region": "CA", "square_feet": "1000",
                                "loan_amount": "400000.00", "tax_rate": "0.25"}  # fmt: skip
    # 5000 + 600 in; 900 withheld + 25 % of 600; 300 debt; 2600 living.
    assert shown["budget"]["taxes"] == "1050.00"
    assert shown["personal_residual_income"]["residual"] == "1650.00"
    assert shown["va"]["guideline"] == 823  # West, a family of 2, a loan of $80,000 or more
    assert shown["independence"]["passive_income"] == "600.00"
    text = _ok(tmp_path, "household", "show", "--month", "2026-03")
    assert "Personal residual income" in text
    assert "1,650.00" in text
    assert "Passes the VA residual income test." in text
    expense_id = shown["expenses"][1]["id"]
    assert f"Removed expense {expense_id}." in _ok(
        tmp_path, "household", "expense", "remove", str(expense_id)
    )


def test_a_refused_value_is_one_line_naming_it_and_nothing_is_stored(tmp_path: Path) -> None:
    for args, start in (
        (("household", "income", "add", "Job", "--amount", "lots"), "Error: amount: "),
        (("household", "income", "add", "Job", "--amount", "10", "--tax", "owed",
          "--withheld", "5"), "Error: withheld: "),
        (("household", "set", "--region", "Narnia"), "Error: region: "),
        (("household", "set", "--tax-rate", "2"), "Error: tax_rate: "),
        (("household", "expense", "add", "yachts", "--amount", "10"), "Error: category: "),
        (("household", "show", "--month", "03-2026"), "Error: month: "),
        (("household", "debt", "remove", "7"), "Error: there is no debt 7"),
    ):  # fmt: skip
        done = _run(tmp_path, *args)
        assert done.returncode == 2, args
        assert done.stderr.startswith(start), (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    shown = json.loads(_ok(tmp_path, "household", "show", "--json"))
    assert (shown["incomes"], shown["expenses"], shown["profile"]["region"]) == ([], [], None)
