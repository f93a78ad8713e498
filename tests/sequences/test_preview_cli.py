"""`evergreen sequences preview NAME --email E [--days N] [--at ISO] --json`: one subscriber's
timeline in their own time zone, from where they stand or a simulated enrolment; bad input is one
line naming the field, exit 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

from evergreen.audience import service as audience
from evergreen.audience.rules import Source
from evergreen.db import Database, utcnow
from evergreen.sequences import service
from tests.cli_helpers import evergreen

SECRET = "seed-secret-for-the-preview-tests-0123456789"
DOCUMENT: dict[str, Any] = {
    "trigger": {"kind": "joined_list", "list": "News"},
    "steps": [
        {"kind": "send", "message": "welcome"},
        {"kind": "wait_until", "weekdays": ["mon"], "hour": 9},
        {
            "kind": "branch",
            "condition": {"kind": "tag", "name": "vip"},
            "then": "s5",
            "else": "s4",
        },
        {"kind": "send", "message": "plain"},
        {"kind": "send", "message": "vip"},
    ],
    "messages": {
        "welcome": {"subject": "Welcome", "body": "One."},
        "plain": {"subject": "Plain offer", "body": "Two."},
        "vip": {"subject": "VIP offer", "body": "Three."},
    },
}


def _run(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen("sequences", *args, data_dir=tmp_path / "data", database_url=url)


def _setup(db: Database) -> None:
    with db.session() as session:
        news = audience.create_list(session, "News", double_opt_in=False).id
        audience.subscribe(
            session,
            SECRET,
            "kiri@example.com",
            news,
            audience.Consent(Source.API),
            time_zone="Pacific/Kiritimati",
            tags=["vip"],
        )
        audience.subscribe(
            session,
            SECRET,
            "sam@example.com",
            news,
            audience.Consent(Source.API),
            time_zone="America/Los_Angeles",
        )
        service.add_sequence(session, "welcome", "News", DOCUMENT)


def test_simulated_enrolment_in_their_zone_with_their_tags(
    tmp_path: Path, db: Database, database_url: str
) -> None:
    _setup(db)
    at = "2026-12-02T20:00:00Z"  # a Wednesday: Thursday 10:00 in Kiritimati (UTC+14)
    kiri = _run(
        tmp_path,
        database_url,
        "preview",
        "welcome",
        "--email",
        "kiri@example.com",
        "--at",
        at,
        "--json",
    )
    assert kiri.returncode == 0, kiri.stderr
    found = json.loads(kiri.stdout)
    assert (found["time_zone"], found["simulated"]) == ("Pacific/Kiritimati", True)
    assert [(i["local"], i["words"]) for i in found["timeline"]] == [
        ("Thu 03 Dec 2026, 10:00", "Send 'Welcome'"),
        ("Thu 03 Dec 2026, 10:00", "Wait until Mon at 09:00 (their time)"),
        ("Mon 07 Dec 2026, 09:00", "Send 'VIP offer'"),  # the branch saw her real tag
        ("Mon 07 Dec 2026, 09:00", "Finishes the sequence (end of sequence)"),
    ]
    assert found["timeline"][2]["at"] == "2026-12-06T19:00:00+00:00"
    sam = json.loads(
        _run(
            tmp_path,
            database_url,
            "preview",
            "welcome",
            "--email",
            "sam@example.com",
            "--at",
            at,
            "--json",
        ).stdout
    )
    assert [(i["at"], i["words"]) for i in sam["timeline"]][2:3] == [
        ("2026-12-07T17:00:00+00:00", "Send 'Plain offer'")  # 09:00 Monday in Los Angeles
    ]
    short = json.loads(
        _run(
            tmp_path,
            database_url,
            "preview",
            "welcome",
            "--email",
            "sam@example.com",
            "--at",
            at,
            "--days",
            "2",
            "--json",
        ).stdout
    )
    assert [i["words"] for i in short["timeline"]] == [
        "Send 'Welcome'",
        "Wait until Mon at 09:00 (their time)",
    ]
    text = _run(
        tmp_path, database_url, "preview", "welcome", "--email", "sam@example.com", "--at", at
    )
    assert "Wed 02 Dec 2026, 12:00  Send 'Welcome'" in text.stdout


def test_from_where_they_stand_and_bad_input(
    tmp_path: Path, db: Database, database_url: str
) -> None:
    _setup(db)
    with db.session() as session:
        service.enrol_by_email(session, "welcome", "sam@example.com", utcnow())
    with db.session() as session:
        service.set_status(session, "welcome", "active")
    service.run_due(db, utcnow() + timedelta(seconds=1))  # Welcome queued; waits for Monday
    now = json.loads(
        _run(
            tmp_path, database_url, "preview", "welcome", "--email", "sam@example.com", "--json"
        ).stdout
    )
    assert (now["simulated"], now["enrolment"]) == (False, "active")
    assert [i["words"] for i in now["timeline"]] == [  # Welcome is behind them
        "Send 'Plain offer'",
        "Send 'VIP offer'",
        "Finishes the sequence (end of sequence)",
    ]
    for args, field in [
        (["--email", "nobody@example.com"], "no subscriber"),
        (["--email", "sam@example.com", "--at", "tomorrow"], "at"),
        (["--email", "sam@example.com", "--at", "0001-01-01T00:00:00Z"], "at: must be in"),
        (["--email", "sam@example.com", "--at", "9999-12-25T00:00:00Z", "--days", "366"], "at"),
        (["--email", "sam@example.com", "--days", "0"], "days"),
    ]:
        done = _run(tmp_path, database_url, "preview", "welcome", *args, "--json")
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert field in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    missing = _run(tmp_path, database_url, "preview", "nope", "--email", "sam@example.com")
    assert missing.returncode == 2
    assert "no sequence named" in missing.stderr
