"""`evergreen webinars …` as the contract says, on SQLite and PostgreSQL: add prints what was
stored, sessions prints the exact JSON array, and bad input is one line naming the field, exit
2, nothing stored."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from evergreen.db import Database
from evergreen.webinars import registrations, service
from tests.cli_helpers import evergreen, succeeded
from tests.conftest import TEST_SECRET

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _run(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen("webinars", *args, data_dir=tmp_path / "data", database_url=url)


def _ok(tmp_path: Path, url: str, *args: str) -> str:
    return succeeded(_run(tmp_path, url, *args))


def test_add_then_sessions_as_json(tmp_path: Path, database_url: str) -> None:
    added = _ok(tmp_path, database_url, "add", "masterclass", "--duration-minutes", "60",
                "--schedule", "jit:15", "--timezone", "viewer")  # fmt: skip
    assert "Added webinar 'masterclass' (id 1): 60 minutes, schedule jit:15, time zone viewer" in (
        added
    )
    out = _ok(tmp_path, database_url, "sessions", "masterclass", "--registered-at",
              "2026-12-07T14:07:00Z", "--viewer-timezone", "America/New_York",
              "--json")  # fmt: skip
    assert out.count("\n") == 1
    assert json.loads(out) == [
        "2026-12-07T14:30:00Z", "2026-12-07T14:45:00Z", "2026-12-07T15:00:00Z",
    ]  # fmt: skip
    _ok(tmp_path, database_url, "add", "weekly", "--duration-minutes", "90", "--schedule",
        "weekly:mon,wed:18:00", "--timezone", "America/New_York", "--blackout", "2026-12-09",
        "--blackout", "2026-12-14")  # fmt: skip
    out = _ok(tmp_path, database_url, "sessions", "weekly", "--registered-at",
              "2026-12-07T12:00:00+00:00", "--viewer-timezone", "Asia/Tokyo", "--count", "2",
              "--json")  # fmt: skip
    assert json.loads(out) == ["2026-12-07T23:00:00Z", "2026-12-16T23:00:00Z"]
    listed = json.loads(_ok(tmp_path, database_url, "list", "--json"))
    assert [(w["name"], w["schedule"], w["blackout_dates"]) for w in listed] == [
        ("masterclass", "jit:15", []),
        ("weekly", "weekly:mon,wed:18:00", ["2026-12-09", "2026-12-14"]),
    ]
    assert "weekly:mon,wed:18:00" in _ok(tmp_path, database_url, "list")


def test_bad_input_is_one_line_naming_the_field_and_stores_nothing(
    tmp_path: Path, database_url: str
) -> None:
    cases = [
        (["--schedule", "jit:0", "--timezone", "viewer"], "schedule"),
        (["--schedule", "daily:25:00", "--timezone", "viewer"], "schedule"),
        (["--schedule", "weekly:funday:10:00", "--timezone", "viewer"], "schedule"),
        (["--schedule", "jit:15", "--timezone", "Mars/Olympus"], "timezone"),
        (["--schedule", "jit:15", "--timezone", "viewer", "--blackout", "2026-13-01"],
         "blackout_dates"),
    ]  # fmt: skip
    for options, field in cases:
        done = _run(tmp_path, database_url, "add", "w", "--duration-minutes", "60", *options)
        assert done.returncode == 2, (options, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith(f"Error: {field}: "), lines
    assert json.loads(_ok(tmp_path, database_url, "list", "--json")) == []
    _ok(tmp_path, database_url, "add", "w", "--duration-minutes", "60", "--schedule",
        "daily:10:00", "--timezone", "UTC")  # fmt: skip
    for args, field in [
        (["nope", "--registered-at", "2026-12-07T10:00:00Z"], "no webinar named 'nope'"),
        (["w", "--registered-at", "yesterday"], "registered_at: "),
        (["w", "--registered-at", "2026-12-07T10:00:00Z", "--count", "0"], "count: "),
    ]:
        done = _run(tmp_path, database_url, "sessions", *args, "--viewer-timezone", "UTC",
                    "--json")  # fmt: skip
        assert done.returncode == 2
        assert field in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    done = _run(tmp_path, database_url, "sessions", "w", "--registered-at", "2026-12-07T10:00Z",
                "--viewer-timezone", "Nowhere/Town", "--json")  # fmt: skip
    assert done.returncode == 2
    assert "viewer_timezone: unknown time zone 'Nowhere/Town'" in done.stderr


def test_registrations_lists_who_registered(
    tmp_path: Path, database_url: str, db: Database
) -> None:
    _ok(tmp_path, database_url, "add", "masterclass", "--duration-minutes", "60",
        "--schedule", "daily:09:00", "--timezone", "viewer")  # fmt: skip
    assert "Nobody has registered" in _ok(tmp_path, database_url, "registrations", "masterclass")
    data = registrations.RegistrationInput(
        email="jane@example.com", viewer_timezone="Asia/Tokyo", source={"channel": "yt"}
    )
    with db.session() as session:
        webinar_id = service.webinar_named(session, "masterclass").id
        registrations.register(session, TEST_SECRET, webinar_id, data, NOW)
    (row,) = json.loads(_ok(tmp_path, database_url, "registrations", "masterclass", "--json"))
    assert (row["email"], row["viewer_timezone"], row["source"]) == (
        "jane@example.com", "Asia/Tokyo", {"channel": "yt"},
    )  # fmt: skip
    assert row["session_start"] == "2026-12-08T00:00:00Z"  # 09:00 in Tokyo
    text = _ok(tmp_path, database_url, "registrations", "masterclass")
    assert "2026-12-08 09:00 Asia/Tokyo" in text
    assert "channel=yt" in text
    missing = _run(tmp_path, database_url, "registrations", "nothing")
    assert missing.returncode != 0
    assert "Traceback" not in missing.stderr


def test_sessions_for_specific_dates_and_business_hours(tmp_path: Path, database_url: str) -> None:
    added = _ok(tmp_path, database_url, "add", "launch", "--duration-minutes", "45",
                "--schedule", "dates:2099-12-12T09:30, 2099-12-10T18:00,2099-12-01T10:00",
                "--timezone", "Europe/Berlin")  # fmt: skip
    assert "schedule dates:2099-12-01T10:00,2099-12-10T18:00,2099-12-12T09:30" in added
    out = _ok(tmp_path, database_url, "sessions", "launch", "--registered-at",
              "2099-12-07T12:00:00Z", "--viewer-timezone", "Asia/Tokyo", "--json")  # fmt: skip
    assert json.loads(out) == ["2099-12-10T17:00:00Z", "2099-12-12T08:30:00Z"]
    _ok(tmp_path, database_url, "add", "office", "--duration-minutes", "30", "--schedule",
        "jit:30@9:00-17:00,mon-fri", "--timezone", "America/New_York")  # fmt: skip
    out = _ok(tmp_path, database_url, "sessions", "office", "--registered-at",
              "2026-12-11T21:50:00Z", "--viewer-timezone", "UTC", "--json")  # fmt: skip
    assert json.loads(out) == [
        "2026-12-14T14:00:00Z", "2026-12-14T14:30:00Z", "2026-12-14T15:00:00Z",
    ]  # fmt: skip
    # A hundred dates fit in the stored spec (2000 characters, migration 0036).
    many = ",".join(f"2099-{m:02d}-{d:02d}T10:00" for m in range(1, 11) for d in range(1, 11))
    _ok(tmp_path, database_url, "add", "series", "--duration-minutes", "30", "--schedule",
        f"dates:{many}", "--timezone", "UTC")  # fmt: skip
    listed = json.loads(_ok(tmp_path, database_url, "list", "--json"))
    assert [w["schedule"] for w in listed] == [
        "dates:2099-12-01T10:00,2099-12-10T18:00,2099-12-12T09:30",
        "jit:30@09:00-17:00,mon-fri",
        f"dates:{many}",
    ]
    skipped = _run(tmp_path, database_url, "add", "gap", "--duration-minutes", "30", "--schedule",
                   "dates:2026-03-08T02:30", "--timezone", "America/New_York")  # fmt: skip
    assert skipped.returncode == 2
    assert "schedule: 2026-03-08T02:30 does not exist in America/New_York" in skipped.stderr
    past = _run(tmp_path, database_url, "add", "old", "--duration-minutes", "30", "--schedule",
                "dates:2020-01-01T10:00", "--timezone", "UTC")  # fmt: skip
    assert past.returncode == 2
    assert "every listed date has passed" in past.stderr
    assert len(json.loads(_ok(tmp_path, database_url, "list", "--json"))) == 3
