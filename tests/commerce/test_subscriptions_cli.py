"""`evergreen commerce subscriptions list|show|renew|cancel` on SQLite and PostgreSQL: a bank-
transfer subscription listed and shown, a due renewal made into a pending order once however
often renew runs, a cancellation now, and a refusal as one line naming the field (exit 2)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from evergreen.commerce import service
from evergreen.commerce.models import Order, Subscription
from evergreen.db import Database
from tests.cli_helpers import evergreen
from tests.commerce.orders_world import SECRET
from tests.commerce.subscriptions_world import make_club, subscribe_input


def _run(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen(
        "commerce", "subscriptions", *args, data_dir=tmp_path / "data", database_url=url
    )


def test_subscriptions_from_the_command_line(tmp_path: Path, database_url: str) -> None:
    db = Database(database_url)
    now = datetime.now(UTC)
    with db.session() as session:
        make_club(session)
        done = service.subscriptions.subscribe(session, None, subscribe_input(), now)
        assert done.order is not None
        service.mark_manual_paid(session, done.order.id, SECRET, now)
        sub = session.get(Subscription, done.subscription.id)
        assert sub is not None
        sub.started_at = sub.current_period_start = now - timedelta(days=40)  # a period is due
        sub.current_period_end = now - timedelta(days=9)
        sub_id = sub.id
    listed = _run(tmp_path, database_url, "list")
    assert listed.returncode == 0, listed.stderr
    assert f"{sub_id}\tactive\tClub\t10.00 EUR/month\tbea@example.com" in listed.stdout
    for _ in range(2):
        renewed = _run(tmp_path, database_url, "renew")
        assert renewed.returncode == 0, renewed.stderr
    assert "Checked 0 subscriptions" in renewed.stdout  # the second run found it dunned already
    with db.session() as session:
        count = select(func.count()).select_from(Order).where(Order.subscription_id == sub_id)
        assert session.scalar(count) == 2  # the first period and one renewal order
    shown = _run(tmp_path, database_url, "show", str(sub_id)).stdout
    assert "status past_due" in shown
    assert f"renewal:{sub_id}:2" in shown
    ended = _run(tmp_path, database_url, "cancel", str(sub_id), "--now", "--yes")
    assert ended.stdout == "Ended now.\n", ended.stderr
    again = _run(tmp_path, database_url, "cancel", str(sub_id))
    assert again.returncode == 2
    assert len(again.stderr.strip().splitlines()) == 1
    assert "subscription" in again.stderr
    assert "\tended\t" in _run(tmp_path, database_url, "list", "--status", "ended").stdout
    db.dispose()
