"""`evergreen commerce order refund` and `subscriptions cancel --now` on SQLite and PostgreSQL
ask first: they show what will happen (the amount, what was refunded already) and wait for a
yes; --yes skips the question; with no terminal and no --yes they refuse in one line (exit 2)
and change nothing."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from evergreen.commerce import service
from evergreen.commerce.models import Order, Subscription
from evergreen.db import Database
from tests.cli_helpers import evergreen
from tests.commerce.orders_world import SECRET, buy, make_shop
from tests.commerce.subscriptions_world import make_club, subscribe_input


def _run(tmp_path: Path, url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return evergreen("commerce", *args, data_dir=tmp_path / "data", database_url=url, stdin=stdin)


def _paid_order(url: str) -> tuple[int, str]:
    db = Database(url)
    try:
        with db.session() as session:
            make_shop(session)
            order = service.start_checkout(session, None, buy(), datetime.now(UTC)).order
            service.mark_manual_paid(session, order.id, SECRET, datetime.now(UTC))
            return order.id, order.number
    finally:
        db.dispose()


def _refunded(url: str, order_id: int) -> int:
    db = Database(url)
    try:
        with db.session() as session:
            row = session.get(Order, order_id)
            assert row is not None
            return row.refunded_cents
    finally:
        db.dispose()


def _one_line(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    for word in words:
        assert word in lines[0], lines


def test_a_refund_without_a_terminal_or_yes_is_refused_and_changes_nothing(
    tmp_path: Path, database_url: str
) -> None:
    order_id, number = _paid_order(database_url)
    refused = _run(tmp_path, database_url, "order", "refund", str(order_id), "--amount", "10")
    _one_line(refused, "10.00 EUR", number, "0.00 EUR refunded already", "--yes")
    assert _refunded(database_url, order_id) == 0
    done = _run(tmp_path, database_url, "order", "refund", str(order_id), "--amount", "10", "--yes")
    assert done.stdout == f"Refunded 10.00 EUR of order {number}.\n", done.stderr
    again = _run(tmp_path, database_url, "order", "refund", str(order_id), "--amount", "10")
    _one_line(again, "10.00 EUR refunded already")
    assert _refunded(database_url, order_id) == 1000


def test_a_refund_shows_what_goes_back_and_asks(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id, number = _paid_order(database_url)
    args = ("order", "refund", str(order_id), "--amount", "10")
    said_no = _run(tmp_path, database_url, *args, stdin="n\n")
    assert said_no.returncode == 1
    assert f"Order {number} (40.70 EUR): refund 10.00 EUR; 0.00 EUR refunded already, " in (
        said_no.stdout
    )
    assert "Nothing changed." in said_no.stdout
    assert _refunded(database_url, order_id) == 0
    said_yes = _run(tmp_path, database_url, *args, stdin="y\n")
    assert said_yes.returncode == 0, said_yes.stderr
    rest = _run(tmp_path, database_url, "order", "refund", str(order_id), stdin="y\n")
    assert "refund 30.70 EUR; 10.00 EUR refunded already, 0.00 EUR left after." in rest.stdout
    assert _refunded(database_url, order_id) == 4070


def test_ending_a_subscription_now_asks_first(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(database_url)
    now = datetime.now(UTC)
    with db.session() as session:
        make_club(session)
        done = service.subscriptions.subscribe(session, None, subscribe_input(), now)
        assert done.order is not None
        service.mark_manual_paid(session, done.order.id, SECRET, now)
        sub_id = done.subscription.id

    def status() -> str:
        with db.session() as session:
            row = session.get(Subscription, sub_id)
            assert row is not None
            return row.status

    cancel = ("subscriptions", "cancel", str(sub_id), "--now")
    _one_line(_run(tmp_path, database_url, *cancel), f"subscription {sub_id}", "--yes")
    assert status() == "active"
    said_no = _run(tmp_path, database_url, *cancel, stdin="\n")  # the default is no
    assert said_no.returncode == 1
    assert f"Subscription {sub_id} (Club, 10.00 EUR a month, bea@example.com) ends now" in (
        said_no.stdout
    )
    assert status() == "active"
    ended = _run(tmp_path, database_url, *cancel, "--yes")
    assert ended.stdout == "Ended now.\n", ended.stderr
    assert status() == "ended"
    db.dispose()
