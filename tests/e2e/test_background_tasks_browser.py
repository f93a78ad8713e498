"""The Background tasks page in real Chromium, on a real `evergreen serve`: the periodic tasks
its consumer ran at start, each with where and how it ran, at 390 and 1280 px."""

from __future__ import annotations

import re
import socket
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from evergreen.db import Database, utcnow
from evergreen.periodic_runs import PeriodicRun
from tests.e2e.conftest import Server, SignIn

pytestmark = pytest.mark.browser
OWNER = "owner@example.com"
PASSWORD = "a long enough passphrase"


@pytest.fixture
def server(server_process: Server) -> Server:
    """The real `evergreen serve`: this test reads what the process itself prints or records."""
    return server_process


def _wait_for_runs(server: Server) -> None:
    """The consumer inside `serve` checks the schedule as it starts: its every-minute tasks
    run at once (15 s at most); then one failed run of another task, as a broken one shows."""
    db = Database(f"sqlite:///{server.data_dir / 'evergreen.db'}")
    try:
        deadline = time.monotonic() + 15
        while True:
            with db.session(writer=False) as session:
                ran = session.scalar(
                    select(func.count()).where(PeriodicRun.task == "deliver_webhooks")
                )
            if ran or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert ran, "the server's consumer recorded no run of deliver_webhooks in 15 s"
        started = utcnow() - timedelta(hours=2)
        with db.session() as session:
            session.add(
                PeriodicRun(
                    task="check_link_health", minute=started.replace(second=0, microsecond=0),
                    process="web2.example:4242", started_at=started, finished_at=started,
                    outcome="error", duration_ms=3400,
                    reason="TimeoutError: shop.example did not answer within 10 s",
                )
            )  # fmt: skip
    finally:
        db.dispose()


def test_the_owner_sees_where_and_how_each_periodic_task_ran(
    server: Server, signed_in: SignIn
) -> None:
    from playwright.sync_api import expect

    server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
    _wait_for_runs(server)
    here = f"{socket.gethostname()[:80]}:{server.process.pid}"
    for width in (390, 1280):
        owner = signed_in(server, width, OWNER, PASSWORD, "background-tasks")
        page = owner.page
        page.goto(server.url + "/settings")
        page.get_by_role("link", name="Background tasks").click()
        expect(page.get_by_role("heading", name="Background tasks")).to_be_visible()
        webhooks = page.locator("#task-deliver_webhooks")
        expect(webhooks).to_contain_text("every minute")
        expect(webhooks).to_contain_text(here)  # run by this server's own consumer
        expect(webhooks.locator(".outcome")).to_have_text("ok")
        expect(webhooks.locator("td").nth(3)).to_have_text(re.compile(r"^[1-9]\d*$"))
        health = page.locator("#task-check_link_health")
        expect(health).to_contain_text("daily at 04:17 UTC")
        expect(health.locator(".outcome")).to_have_text("error")
        expect(health).to_contain_text("(TimeoutError: shop.example did not answer within 10 s)")
        expect(health.locator("td").nth(3)).to_have_text("0")  # two hours ago
        owner.fits("page")
        assert owner.problems == []
