"""`evergreen commerce …` options that would be ignored are refused in one line naming them
(exit 2, nothing changed): `subscriptions cancel --yes` without `--now` (only ending it now is
asked), `service task --assignee` without a title (only a new task takes one), and `supplier
orders --supplier` naming a supplier that is not there (not an empty list)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from evergreen.commerce import service
from evergreen.commerce.models import Engagement, EngagementTask, Subscription
from evergreen.commerce.service import suppliers
from evergreen.db import Database
from tests.cli_helpers import evergreen, refused, succeeded
from tests.commerce.fulfil_world import buy_service, make_shop
from tests.commerce.orders_world import SECRET
from tests.commerce.subscriptions_world import make_club, subscribe_input


def _run(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen("commerce", *args, data_dir=tmp_path / "data", database_url=url)


def test_cancel_yes_without_now_is_refused_and_the_subscription_kept(
    tmp_path: Path, database_url: str
) -> None:
    db = Database(database_url)
    now = datetime.now(UTC)
    with db.session() as session:
        make_club(session)
        done = service.subscriptions.subscribe(session, None, subscribe_input(), now)
        assert done.order is not None
        service.mark_manual_paid(session, done.order.id, SECRET, now)
        sub_id = str(done.subscription.id)
    refused(_run(tmp_path, database_url, "subscriptions", "cancel", sub_id, "--yes"), "--now")
    with db.session(writer=False) as session:
        sub = session.get(Subscription, int(sub_id))
        assert sub is not None
        assert (sub.status, sub.cancel_at_period_end) == ("active", False)
    later = _run(tmp_path, database_url, "subscriptions", "cancel", sub_id)
    assert succeeded(later) == "Ends at the end of its period.\n"
    ended = _run(tmp_path, database_url, "subscriptions", "cancel", sub_id, "--now", "--yes")
    assert succeeded(ended) == "Ended now.\n"
    db.dispose()


def test_a_task_assignee_without_a_title_is_refused(tmp_path: Path, database_url: str) -> None:
    db = Database(database_url)
    with db.session() as session:
        make_shop(session)
        order = service.start_checkout(session, None, buy_service(), datetime.now(UTC)).order
        order_id = order.id
    with db.session() as session:
        service.mark_manual_paid(session, order_id, SECRET, datetime.now(UTC))
        engagement = str(session.scalars(select(Engagement.id)).one())
        tasks = session.scalar(select(func.count()).select_from(EngagementTask))
    for args in ((engagement, "--assignee", "1"), (engagement, " ", "--assignee", "1")):
        refused(_run(tmp_path, database_url, "service", "task", *args), "--assignee")
    with db.session(writer=False) as session:
        assert session.scalar(select(func.count()).select_from(EngagementTask)) == tasks
    db.dispose()


def test_the_orders_of_a_supplier_that_is_not_there_are_refused_by_its_id(
    tmp_path: Path, database_url: str
) -> None:
    db = Database(database_url)
    with db.session() as session:
        supplier, _secret = suppliers.add_supplier(session, "Box Co", "", "csv", "", "EUR")
        supplier_id = str(supplier.id)
    db.dispose()
    refused(
        _run(tmp_path, database_url, "supplier", "orders", "--supplier", "99"), "no supplier 99"
    )
    listed = _run(tmp_path, database_url, "supplier", "orders", "--supplier", supplier_id)
    assert succeeded(listed) == ""  # there, with no orders yet
