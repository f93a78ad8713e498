"""`evergreen commerce rollups rebuild [--funnel ID]` on SQLite and PostgreSQL: a rollup emptied
(as right after the migration that adds it) is filled from the paid orders again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, func, select

from evergreen.commerce import service
from evergreen.commerce.models import FunnelSalesDaily
from evergreen.db import Database
from tests.cli_helpers import run_cli
from tests.commerce.orders_world import SECRET, buy, make_shop


def test_the_command_rebuilds_the_rollup_from_the_orders(tmp_path: Path, database_url: str) -> None:
    db = Database(database_url)
    now = datetime.now(UTC)
    with db.session() as session:
        make_shop(session)
        for funnel in (7, 8):
            order = service.start_checkout(session, None, buy(funnel_id=funnel), now).order
            service.mark_manual_paid(session, order.id, SECRET, now)
        live = session.scalar(select(func.sum(FunnelSalesDaily.net_cents)))
        session.execute(delete(FunnelSalesDaily))
    env = {"EVERGREEN_DATA_DIR": str(tmp_path / "data"), "EVERGREEN_DATABASE_URL": database_url}
    one = run_cli(["commerce", "rollups", "rebuild", "--funnel", "7"], env)
    assert (one.returncode, one.stdout) == (0, "rebuilt the funnel sales rollup: 2 rows\n")
    every = run_cli(["commerce", "rollups", "rebuild"], env)
    assert (every.returncode, every.stdout) == (0, "rebuilt the funnel sales rollup: 4 rows\n")
    with db.session(writer=False) as session:
        assert session.scalar(select(func.sum(FunnelSalesDaily.net_cents))) == live == 2 * 3420
    db.dispose()
