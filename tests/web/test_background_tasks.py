"""The owner's "Background tasks" page and `evergreen tasks`: each periodic task with its
schedule, its last run (when, where, how it ended) and its runs in the last hour."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient

from evergreen.db import Database, utcnow
from evergreen.periodic_runs import PeriodicRun
from tests.cli_helpers import run_cli
from tests.http_helpers import sign_in


def _record(db: Database) -> None:
    now = utcnow()
    with db.session() as session:
        for minutes, outcome in ((1, "error"), (2, "ok"), (90, "ok")):
            started = now - timedelta(minutes=minutes)
            session.add(
                PeriodicRun(
                    task="deliver_webhooks", minute=started.replace(second=0, microsecond=0),
                    process="web2:4242", started_at=started,
                    finished_at=started + timedelta(milliseconds=1250), outcome=outcome,
                    reason="ConnectionError: partner.example refused" if outcome == "error" else "",
                    duration_ms=1250,
                )
            )  # fmt: skip


def test_the_owner_sees_each_periodic_task_and_its_last_run(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _record(db)
    sign_in(client, people["owner"])
    settings = client.get("/settings")
    assert 'href="/settings/tasks"' in settings.text
    page = client.get("/settings/tasks")
    assert page.status_code == 200
    row = page.text.split('id="task-deliver_webhooks"')[1].split("</tr>")[0]
    assert "every minute" in row
    assert "web2:4242" in row
    assert (
        '<strong class="outcome">error</strong> (ConnectionError: partner.example refused)' in row
    )
    assert "1.25 s" in row
    assert '<td class="num">2</td>' in row  # two runs in the last hour, not the one before
    daily = page.text.split('id="task-check_link_health"')[1].split("</tr>")[0]
    assert "daily at 04:17 UTC" in daily
    assert "not run yet" in daily


def test_staff_and_partners_do_not_see_the_background_tasks(
    client: TestClient, people: dict[str, str]
) -> None:
    for role in ("staff", "partner"):
        client.cookies.clear()
        sign_in(client, people[role])
        answer = client.get("/settings/tasks", follow_redirects=False)
        assert answer.status_code in (303, 403), (role, answer.status_code)
        assert "deliver_webhooks" not in answer.text


def test_evergreen_tasks_prints_each_task_as_text_and_json(
    db: Database, database_url: str, tmp_path: object
) -> None:
    _record(db)
    env = {"EVERGREEN_DATABASE_URL": database_url, "EVERGREEN_DATA_DIR": str(tmp_path)}
    done = run_cli(["tasks", "--json"], env)
    assert done.returncode == 0, done.stderr
    tasks = {task["task"]: task for task in json.loads(done.stdout)}
    webhooks = tasks["deliver_webhooks"]
    assert (webhooks["schedule"], webhooks["runs_last_hour"]) == ("every minute", 2)
    assert webhooks["last_run"]["process"] == "web2:4242"
    assert webhooks["last_run"]["outcome"] == "error"
    assert tasks["check_link_health"]["last_run"] is None
    text = run_cli(["tasks"], env)
    assert text.returncode == 0, text.stderr
    line = next(row for row in text.stdout.splitlines() if row.startswith("deliver_webhooks"))
    assert "[every minute]" in line
    assert "2 in the last hour" in line
    assert "on web2:4242, error: ConnectionError: partner.example refused, 1.25 s" in line
