"""The ledger's command-line contract, run as a person runs it (a real process per command)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from tests.cli_helpers import evergreen

D = Decimal


def _run(data: Path, *args: str) -> str:
    result = evergreen(*args, data_dir=data, database_url=None)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_month_of_two_streams_reported_and_valued(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _run(data, "streams", "add", "Blog", "--kind", "affiliate")
    _run(data, "streams", "add", "Loan book", "--kind", "lending", "--currency", "USD")
    _run(
        data,
        "ledger",
        "add",
        "--stream",
        "Blog",
        "--date",
        "2026-01-05",
        "--amount",
        "1200.50",
        "--type",
        "income",
        "--memo",
        "January commissions",
    )
    _run(
        data,
        "ledger",
        "add",
        "--stream",
        "Blog",
        "--date",
        "2026-01-31",
        "--amount",
        "100",
        "--type",
        "cost",
    )
    _run(
        data,
        "ledger",
        "add",
        "--stream",
        "Blog",
        "--date",
        "2026-02-01",
        "--amount",
        "999",
        "--type",
        "income",
    )  # outside the period
    _run(data, "hours", "add", "--stream", "Blog", "--date", "2026-01-07", "--hours", "10")
    _run(
        data, "capital", "add", "--stream", "Loan book", "--date", "2026-01-01", "--amount", "10000"
    )
    _run(
        data, "capital", "add", "--stream", "Loan book", "--date", "2026-01-21", "--amount", "-4000"
    )
    _run(
        data,
        "ledger",
        "add",
        "--stream",
        "Loan book",
        "--date",
        "2026-01-31",
        "--amount",
        "100",
        "--type",
        "income",
    )
    report = json.loads(
        _run(
            data,
            "streams",
            "report",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--hourly-rate",
            "50",
            "--required-return",
            "0.10",
            "--json",
        )
    )
    blog, loans = sorted(report["streams"], key=lambda s: s["name"])
    assert {k: blog[k] for k in ("name", "income", "costs", "hours", "owner_time_charge",
                                 "capital_charge", "residual_income")} == {
        "name": "Blog", "income": "1200.50", "costs": "100.00", "hours": "10.00",
        "owner_time_charge": "500.00", "capital_charge": "0.00", "residual_income": "600.50",
    }  # fmt: skip
    # 20 days at 10,000 and 11 days at 6,000, at 10 % a year.
    charge = (20 * D(10_000) + 11 * D(6000)) * D("0.10") / 365
    assert D(loans["capital_charge"]) == charge.quantize(D("0.01"))
    assert D(loans["residual_income"]) == (D(100) - charge).quantize(D("0.01"))
    assert D(report["total"]["residual_income"]) == (D("600.50") + D(100) - charge).quantize(
        D("0.01")
    )
    value = json.loads(
        _run(
            data,
            "streams",
            "value",
            "Loan book",
            "--as-of",
            "2026-01-31",
            "--hourly-rate",
            "50",
            "--required-return",
            "0.10",
            "--persistence",
            "0.5",
            "--json",
        )
    )
    ri = D(100) - charge
    assert value["capital"] == "6000.00"
    assert D(value["residual_income_ttm"]) == ri.quantize(D("0.01"))
    assert D(value["value"]) == (D(6000) + ri / (1 + D("0.10") - D("0.5"))).quantize(D("0.01"))


def test_a_value_without_a_day_is_todays(tmp_path: Path) -> None:
    data, today = tmp_path / "data", datetime.now(UTC).date()
    _run(data, "streams", "add", "Blog", "--kind", "affiliate", "--hourly-rate", "40",
         "--required-return", "0.08")  # fmt: skip
    for back, amount in ((400, "900"), (20, "300")):  # the older one is past the trailing year
        day = (today - timedelta(days=back)).isoformat()
        _run(data, "ledger", "add", "--stream", "Blog", "--date", day, "--amount", amount,
             "--type", "income")  # fmt: skip
    rates = ("--hourly-rate", "40", "--required-return", "0.08", "--persistence", "0.5", "--json")
    plain = json.loads(_run(data, "streams", "value", "Blog", *rates))
    dated = json.loads(_run(data, "streams", "value", "Blog", "--as-of", today.isoformat(), *rates))
    assert plain == dated
    assert D(plain["residual_income_ttm"]) == D("300.00")


def test_a_report_of_streams_with_their_own_rates_needs_no_default(tmp_path: Path) -> None:
    data, day = tmp_path / "data", "2026-03-02"
    _run(data, "streams", "add", "Blog", "--kind", "affiliate", "--hourly-rate", "40",
         "--required-return", "0.08")  # fmt: skip
    _run(data, "hours", "add", "--stream", "Blog", "--date", day, "--hours", "3")
    report = json.loads(_run(data, "streams", "report", "--from", day, "--to", day, "--json"))
    (blog,) = report["streams"]
    assert blog["owner_time_charge"] == "120.00"  # 3 hours at Blog's own 40
    _run(data, "streams", "add", "Book", "--kind", "royalties")  # no rate of its own
    refused = evergreen("streams", "report", "--from", day, "--to", day, data_dir=data,
                        database_url=None)  # fmt: skip
    assert refused.returncode == 2
    assert "give --hourly-rate" in refused.stderr


BAD = (
    # Report days are the API's: 1900-2199, a century at most (past them the day-by-day
    # capital charge ran off the calendar: a traceback).
    (("streams", "report", "--from", "2026-06-01", "--to", "9999-12-31"), "to: 9999-12-31"),
    (("streams", "value", "Blog", "--as-of", "0001-01-01"), "as_of: 0001-01-01 is outside"),
    (("streams", "value", "Blog", "--as-of", "9999-12-31"), "as_of: 9999-12-31 is outside"),
    (
        (
            "ledger",
            "add",
            "--stream",
            "Nope",
            "--date",
            "2026-01-05",
            "--amount",
            "1",
            "--type",
            "income",
        ),
        "stream named 'Nope'",
    ),
    (
        (
            "ledger",
            "add",
            "--stream",
            "Blog",
            "--date",
            "2026-02-30",
            "--amount",
            "1",
            "--type",
            "income",
        ),
        "date",
    ),
    (
        (
            "ledger",
            "add",
            "--stream",
            "Blog",
            "--date",
            "2026-01-05",
            "--amount",
            "1,5x",
            "--type",
            "income",
        ),
        "amount",
    ),
    (
        (
            "ledger",
            "add",
            "--stream",
            "Blog",
            "--date",
            "2026-01-05",
            "--amount",
            "NaN",
            "--type",
            "cost",
        ),
        "amount",
    ),
    (("hours", "add", "--stream", "Blog", "--date", "2026-01-05", "--hours", "25"), "hours"),
    (("capital", "add", "--stream", "Blog", "--date", "2026-01-05", "--amount", "0"), "amount"),
    (
        (
            "streams",
            "report",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--hourly-rate",
            "-1",
            "--required-return",
            "0.1",
        ),
        "hourly_rate",
    ),
    (
        (
            "streams",
            "report",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--hourly-rate",
            "50",
            "--required-return",
            "lots",
        ),
        "required_return",
    ),
    (
        (
            "streams",
            "value",
            "Blog",
            "--as-of",
            "2026-01-31",
            "--hourly-rate",
            "50",
            "--required-return",
            "0.1",
            "--persistence",
            "2",
        ),
        "persistence",
    ),
    (("streams", "add", "Blog", "--kind", "crypto"), "kind"),
    # No rates saved: the command names its own option to give one with.
    (("streams", "value", "Blog", "--as-of", "2026-01-31"), "give --hourly-rate"),
)


def test_a_bad_value_is_one_line_naming_it_and_nothing_is_stored(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _run(data, "streams", "add", "Blog", "--kind", "affiliate")
    for args, named in BAD:
        result = evergreen(*args, data_dir=data, database_url=None)
        assert result.returncode == 2, args
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr
        assert named in lines[0], (args, lines[0])
        assert "Traceback" not in result.stderr
    report = json.loads(
        _run(
            data,
            "streams",
            "report",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
            "--hourly-rate",
            "1",
            "--required-return",
            "0",
            "--json",
        )
    )
    assert [s["name"] for s in report["streams"]] == ["Blog"]
    assert report["total"] == dict.fromkeys(report["total"], "0.00")


def test_time_entries_are_listed_corrected_and_deleted(tmp_path: Path) -> None:
    from tests.cli_helpers import evergreen as run
    from tests.cli_helpers import refused

    data = tmp_path / "data"
    _run(data, "streams", "add", "Blog", "--kind", "affiliate")
    _run(data, "hours", "add", "--stream", "Blog", "--date", "2026-03-02", "--hours", "15",
         "--memo", "typo")  # fmt: skip
    _run(data, "hours", "add", "--stream", "Blog", "--date", "2026-03-03", "--hours", "2")
    listed = _run(data, "hours", "list", "--stream", "Blog")
    assert "2026-03-02" in listed
    assert "typo" in listed
    assert "15" in listed
    first = min(int(line.split()[1]) for line in listed.splitlines()
                if line.startswith("│") and line.split()[1].isdigit())  # fmt: skip
    changed = _run(data, "hours", "change", str(first), "--hours", "1.5")
    assert "is now 1.5 h on 2026-03-02 “typo”" in changed
    refused(run("hours", "change", str(first), data_dir=data, database_url=None), "hours")
    refused(run("hours", "change", str(first), "--hours", "25", data_dir=data,
                database_url=None), "hours")  # fmt: skip
    kept = run("hours", "delete", str(first), data_dir=data, database_url=None, stdin="n\n")
    assert kept.returncode == 1
    assert "Nothing deleted" in kept.stdout
    assert "1.5" in _run(data, "hours", "list")
    asked = run("hours", "delete", str(first), data_dir=data, database_url=None, stdin="y\n")
    assert asked.returncode == 0
    assert f"Deleted time entry {first}" in asked.stdout
    refused(run("hours", "delete", str(first), "--yes", data_dir=data, database_url=None),
            f"no time entry {first}")  # fmt: skip
    rates = ("--hourly-rate", "50", "--required-return", "0.1", "--json")
    report = json.loads(_run(data, "streams", "report", "--from", "2026-03-01", "--to",
                             "2026-03-31", *rates))  # fmt: skip
    assert [s["hours"] for s in report["streams"] if s["name"] == "Blog"] == ["2.00"]
