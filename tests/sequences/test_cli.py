"""`evergreen sequences …` as the contract says, on SQLite and PostgreSQL with a real SMTP
server: add from a JSON file, activate, `run-due --now … --json` prints the counts, sends each
step once, and running again for the same instant sends nothing; bad input is one line, exit 2."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from evergreen.audience import service as audience
from evergreen.audience.rules import Source
from evergreen.db import Database, utcnow
from evergreen.sequences import service as sequences
from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.models import Enrolment
from tests.cli_helpers import evergreen, refused
from tests.mail.smtp_server import smtp_env, smtp_server
from tests.sequences.test_engine import THREE_STEPS

SEED_SECRET = "seed-secret-for-the-cli-tests-0123456789"


def _run(tmp_path: Path, url: str, port: int, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen("sequences", *args, data_dir=tmp_path / "data", database_url=url,
                     **smtp_env(port, "news@example.com"))  # fmt: skip


def test_add_activate_and_run_due_as_the_contract_says(
    tmp_path: Path, db: Database, database_url: str
) -> None:
    with db.session() as session:
        news = audience.create_list(session, "News", double_opt_in=False).id
    program = tmp_path / "welcome.json"
    program.write_text(json.dumps(THREE_STEPS), encoding="utf-8")
    with smtp_server() as (handler, port):
        added = _run(tmp_path, database_url, port, "add", "welcome", "--list", "News",
                     "--file", str(program))  # fmt: skip
        assert added.returncode == 0, added.stderr
        assert "Added sequence 'welcome' (draft)" in added.stdout
        done = _run(tmp_path, database_url, port, "activate", "welcome")
        assert done.returncode == 0, done.stderr
        with db.session() as session:
            for address in ("ann@example.com", "bob@example.com"):
                audience.subscribe(session, SEED_SECRET, address, news,
                                   audience.Consent(Source.IMPORT))  # fmt: skip
        t0 = (utcnow() + timedelta(seconds=5)).isoformat()
        first = _run(tmp_path, database_url, port, "run-due", "--now", t0, "--json")
        assert first.returncode == 0, first.stderr
        counts = json.loads(first.stdout)
        assert (counts["sent"], counts["enrolled"], counts["skipped"], counts["exited"]) == (
            2, 2, 0, 0,
        )  # fmt: skip
        again = json.loads(_run(tmp_path, database_url, port, "run-due", "--now", t0,
                                "--json").stdout)  # fmt: skip
        assert (again["sent"], again["enrolled"]) == (0, 0)
        assert len(handler.received) == 2
        listed = json.loads(_run(tmp_path, database_url, port, "list", "--json").stdout)
        assert [(s["name"], s["status"], s["enrolments"]) for s in listed] == [
            ("welcome", "active", {"active": 2})
        ]


def test_bad_input_is_one_line_naming_the_field(
    tmp_path: Path, db: Database, database_url: str
) -> None:
    with db.session() as session:
        audience.create_list(session, "News", double_opt_in=False)
    bad = tmp_path / "bad.json"
    bad.write_text('{"trigger": {"kind": "got_tag", "name": "x"}, "steps": [{"kind": "nap"}]}')
    cases = [
        (["add", "w", "--list", "News", "--file", str(bad)], "steps[0].kind"),
        (["add", "w", "--list", "News", "--file", str(tmp_path / "none.json")], "file"),
        (["add", "w", "--list", "Nope", "--file", str(bad)], "steps[0].kind"),
        (["activate", "missing"], "name"),
        (["run-due", "--now", "yesterday"], "now"),
    ]
    for args, field in cases:
        done = _run(tmp_path, database_url, 1, *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert field in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
        assert done.stderr.count("\n") <= 2
    listed = json.loads(_run(tmp_path, database_url, 1, "list", "--json").stdout)
    assert listed == []


def test_run_due_refuses_a_now_outside_the_years_it_computes(
    tmp_path: Path, db: Database, database_url: str
) -> None:
    with db.session() as session:
        news = audience.create_list(session, "News", double_opt_in=False).id
        sequences.add_sequence(session, "welcome", "News", THREE_STEPS)
        sequences.set_status(session, "welcome", "active")
        audience.subscribe(session, SEED_SECRET, "ann@example.com", news,
                           audience.Consent(Source.IMPORT))  # fmt: skip
        sequences.enrol_by_email(session, "welcome", "ann@example.com", utcnow())
    for now in ("9999-12-31T23:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:00:00-01:00"):
        done = _run(tmp_path, database_url, 1, "run-due", "--now", now)
        refused(done, "now: must be in the years 1970 to 8999")
        with pytest.raises(SequenceInputError, match="now: must be in the years 1970 to 8999"):
            sequences.run_due(db, datetime.fromisoformat(now))
    with db.session() as session:
        statuses = session.execute(select(Enrolment.status, Enrolment.claimed_by)).all()
    assert statuses == [("active", "")]  # not set aside as failed
