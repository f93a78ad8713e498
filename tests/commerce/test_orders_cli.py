"""`evergreen commerce coupon|order|reconcile …` on SQLite and PostgreSQL: a coupon added and
listed, a bank-transfer order listed, marked paid once and refunded in part; bad input is one
line naming the field, exit 2; reconcile without Stripe checks nothing."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

from evergreen.commerce import service
from evergreen.db import Database
from tests.cli_helpers import evergreen
from tests.commerce.orders_world import buy, make_shop


def _run(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen("commerce", *args, data_dir=tmp_path / "data", database_url=url)


def test_coupons_and_orders_from_the_command_line(tmp_path: Path, database_url: str) -> None:
    db = Database(database_url)
    with db.session() as session:
        make_shop(session)
        order_id = service.start_checkout(session, None, buy(), datetime.now(UTC)).order.id
    db.dispose()
    added = _run(
        tmp_path, database_url, "coupon", "add", "spring", "--amount", "5", "--currency", "EUR"
    )
    assert (added.returncode, added.stdout.strip()) == (0, "SPRING"), added.stderr
    listed = _run(tmp_path, database_url, "coupon", "list").stdout.splitlines()
    assert listed == ["ANA\t10 %\t0 used", "SPRING\t5.00 EUR\t0 used"]
    bad = _run(tmp_path, database_url, "coupon", "add", "x y", "--percent", "5")
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "code: must be 1 to 40 letters" in bad.stderr, bad.stderr
    orders = _run(tmp_path, database_url, "order", "list").stdout
    assert "\tpending\t40.70 EUR\tbuyer@example.com" in orders
    assert (
        _run(tmp_path, database_url, "order", "mark-paid", str(order_id)).stdout == "Marked paid.\n"
    )
    assert (
        _run(tmp_path, database_url, "order", "mark-paid", str(order_id)).stdout
        == "Already paid.\n"
    )
    refund = _run(
        tmp_path, database_url, "order", "refund", str(order_id), "--amount", "10.00", "--yes"
    )
    assert refund.returncode == 0, refund.stderr
    assert "\tpartially_refunded\t" in _run(tmp_path, database_url, "order", "list").stdout
    too_much = _run(tmp_path, database_url, "order", "refund", str(order_id), "--amount", "99")
    assert too_much.returncode == 2
    assert "amount" in too_much.stderr
    checked = _run(tmp_path, database_url, "reconcile")
    assert checked.stdout.strip() == "Checked 0 pending orders; 0 paid now."
