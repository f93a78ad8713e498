"""Migration 0046 fills the funnel report's rollup from the orders paid before it, so an
upgraded installation's report keeps its history without a command run by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, MetaData, insert, text

from evergreen import migrate
from evergreen.commerce.models import Order, OrderLine, Product
from evergreen.db import Database


def test_the_upgrade_fills_the_rollup_from_orders_already_paid(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url, "0045")
    db = Database(empty_database_url)
    now = datetime.now(UTC)
    try:
        with db.engine.begin() as conn:
            tables = MetaData()
            tables.reflect(conn)  # the tables as 0045 made them, not as the models are now
            book = _insert(conn, tables, Product, slug="book", name="Book", kind="digital",
                           status="active")  # fmt: skip
            for number, funnel, paid in (("N1", 7, now), ("N2", 7, now), ("N3", None, now),
                                         ("N4", 7, None)):  # fmt: skip
                order = _insert(
                    conn, tables, Order, number=number, status="paid" if paid else "pending",
                    currency="EUR", subtotal_cents=2900, total_cents=2900,
                    buyer_email="bea@example.com", provider="manual", checkout_key=number,
                    funnel_id=funnel, step_id=3, paid_at=paid, created_at=now,
                )  # fmt: skip
                _insert(conn, tables, OrderLine, order_id=order, product_id=book,
                        product_name="Book", role="main", unit_cents=2900,
                        total_cents=2900)  # fmt: skip
        migrate.upgrade(empty_database_url)
        with db.session() as session:
            rows = session.execute(
                text("SELECT funnel_id, role, orders, net_cents FROM commerce_funnel_sales_daily")
            ).all()
        assert [tuple(row) for row in rows] == [(7, "main", 2, 5800)]  # paid funnel orders only
    finally:
        db.dispose()


def _insert(conn: Connection, tables: MetaData, model: type[Any], **values: Any) -> int:
    """A row in the table as the old migration left it: the given values, and the model's own
    defaults for the old columns left out (later columns do not exist there yet)."""
    table = tables.tables[model.__tablename__]
    row = dict(values)
    for column in table.columns:
        default = model.__table__.columns[column.name].default
        if column.name not in row and default is not None and default.is_scalar:
            row[column.name] = default.arg
        elif column.name not in row and default is not None and default.is_callable:
            row[column.name] = default.arg(None)
    key = conn.execute(insert(table).values(row)).inserted_primary_key
    assert key is not None
    return int(key[0])
