"""`evergreen commerce subscription family|change|keep-plan` on SQLite and PostgreSQL: products
put in a plan family, a bank-transfer subscription's move to a dearer plan scheduled for the
renewal (no card to charge now) after its preview, called off, and a plan not offered refused
as one line naming the field (exit 2)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

from evergreen.commerce import service
from evergreen.commerce.models import Subscription
from evergreen.db import Database
from tests.cli_helpers import evergreen
from tests.commerce.orders_world import SECRET
from tests.commerce.subscriptions_world import make_plans, subscribe_input


def _run(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen(
        "commerce", "subscription", *args, data_dir=tmp_path / "data", database_url=url
    )


def test_plan_changes_from_the_command_line(tmp_path: Path, database_url: str) -> None:
    db = Database(database_url)
    now = datetime.now(UTC)
    with db.session() as session:
        plans = make_plans(session)
        club = service.subscriptions.plan_of(session, "club").product.id
        service.subscriptions.set_plan_family(session, club, "")  # the CLI puts it back
        done = service.subscriptions.subscribe(session, None, subscribe_input(), now)
        assert done.order is not None
        service.mark_manual_paid(session, done.order.id, SECRET, now)
        sub_id = done.subscription.id
    family = _run(tmp_path, database_url, "family", str(club), "club")
    assert family.stdout == "Club is in the plan family 'club'.\n", family.stderr
    changed = _run(tmp_path, database_url, "change", str(sub_id), "--price",
                   str(plans["Club Plus"]), "--yes")  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert "Moves to Club Plus at the renewal" in changed.stdout
    assert changed.stdout.endswith("Scheduled for the renewal.\n")
    with db.session() as session:
        sub = session.get(Subscription, sub_id)
        assert sub is not None
        assert (sub.pending_price_id, sub.amount_cents) == (plans["Club Plus"], 1000)
    kept = _run(tmp_path, database_url, "keep-plan", str(sub_id))
    assert kept.stdout == "The scheduled change is called off.\n"
    refused = _run(tmp_path, database_url, "change", str(sub_id), "--price", "99999", "--yes")
    assert refused.returncode == 2
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "price" in refused.stderr
    with db.session() as session:
        sub = session.get(Subscription, sub_id)
        assert sub is not None
        assert sub.pending_price_id is None
    db.dispose()
