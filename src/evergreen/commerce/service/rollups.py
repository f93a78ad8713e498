"""The funnel report's daily sales rollup, kept by deltas in the transaction that moves an
order's money (paid, refunded, a payment fee), and rebuilt from the orders on demand.

Each change is one INSERT … ON CONFLICT DO UPDATE … + delta per (funnel, step, variant, role,
currency, paid day), so any number of concurrent payers add up exactly on SQLite and PostgreSQL;
the statements of one order run in key order, so two transactions never wait on each other in
a circle. A rollup row only ever grows by whole order lines: the report's figures are the sums
of what it computed line by line before.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import Delete, delete, insert, select, text
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from evergreen.commerce.models import FunnelSalesDaily, Order, OrderLine
from evergreen.commerce.rules.checkout import PAID_STATUSES
from evergreen.commerce.rules.funnel_rollup import LineFigures, figures_delta, line_figures

__all__ = ["funnel_fee", "funnel_paid", "funnel_refund", "rebuild"]

Key = tuple[int, int, str, str, str, date]  # funnel, step (0: none), variant, role, currency, day
Sums = list[int]  # orders, net, refunded, fee
_BATCH = 5000


def _day(paid_at: datetime) -> date:
    """The paid day in UTC (what the report groups by)."""
    return paid_at.astimezone(UTC).date() if paid_at.tzinfo else paid_at.date()


Head = tuple[int, int, str, str, date]  # funnel, step, variant, currency, day: an order's part


def _head(order: Order) -> Head:
    assert order.funnel_id is not None
    assert order.paid_at is not None
    step = order.step_id or 0
    return (order.funnel_id, step, order.variant or "", order.currency, _day(order.paid_at))


def _lines(session: Session, order_id: int) -> list[tuple[str, int, int]]:
    """(role, total, tax) of an order's lines in id order (the order refunds are shared in)."""
    rows = session.execute(
        select(OrderLine.role, OrderLine.total_cents, OrderLine.tax_cents)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.id)
    )
    return [(role, int(total), int(tax)) for role, total, tax in rows]


def _collect(
    sums: dict[Key, Sums], head: Head, roles: list[str], figures: Iterable[LineFigures],
    orders: int,
) -> None:  # fmt: skip
    """Add one order's per-line figures to `sums` by key (lines of one role share a row)."""
    funnel_id, step_id, variant, currency, day = head
    for role, fig in zip(roles, figures, strict=True):
        key = (funnel_id, step_id, variant, role, currency, day)
        got = sums.setdefault(key, [0, 0, 0, 0])
        for i, value in enumerate((orders, fig.net, fig.refunded, fig.fee)):
            got[i] += value


def _add(session: Session, sums: dict[Key, Sums]) -> None:
    """Upsert each key's deltas, in key order."""
    upsert = postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for key in sorted(sums):
        orders, net, refunded, fee = sums[key]
        if not (orders or net or refunded or fee):
            continue
        funnel_id, step_id, variant, role, currency, day = key
        statement = upsert(FunnelSalesDaily).values(
            funnel_id=funnel_id, step_id=step_id, variant=variant, role=role,
            currency=currency, day=day, orders=orders, net_cents=net,
            refunded_cents=refunded, fee_cents=fee,
        )  # fmt: skip
        names = ("orders", "net_cents", "refunded_cents", "fee_cents")
        statement = statement.on_conflict_do_update(
            index_elements=["funnel_id", "step_id", "variant", "role", "currency", "day"],
            set_={n: getattr(FunnelSalesDaily, n) + statement.excluded[n] for n in names},
        )
        session.execute(statement)


def _counted(order: Order) -> bool:
    """Whether the order is in a funnel's report: a funnel's order that was paid."""
    return order.funnel_id is not None and order.paid_at is not None


def funnel_paid(session: Session, order: Order) -> None:
    """A funnel's order was just paid: its lines join the rollup (with any refund or fee it
    already carries)."""
    if not _counted(order):
        return
    lines = _lines(session, order.id)
    figures = line_figures([(t, x) for _r, t, x in lines], order.refunded_cents, order.fee_cents)
    sums: dict[Key, Sums] = {}
    _collect(sums, _head(order), [role for role, _t, _x in lines], figures, 1)
    _add(session, sums)


def _moved(session: Session, order: Order, refunded_before: int, fee_before: int) -> None:
    """Add what moved between two states of a paid order's refunded and fee totals."""
    if not _counted(order) or order.status not in PAID_STATUSES:
        return  # not in the rollup yet: funnel_paid will count the totals as they stand then
    lines = _lines(session, order.id)
    shape = [(t, x) for _r, t, x in lines]
    before = line_figures(shape, refunded_before, fee_before)
    after = line_figures(shape, order.refunded_cents, order.fee_cents)
    sums: dict[Key, Sums] = {}
    _collect(sums, _head(order), [role for role, _t, _x in lines], figures_delta(before, after), 0)
    _add(session, sums)


def funnel_refund(session: Session, order: Order, delta_cents: int) -> None:
    """A paid funnel order's refunded total just grew by `delta_cents` (already on the order)."""
    _moved(session, order, order.refunded_cents - delta_cents, order.fee_cents)


def funnel_fee(session: Session, order: Order, delta_cents: int) -> None:
    """The hook for payment fees: call it, in the same transaction, right after adding
    `delta_cents` to order.fee_cents of a paid order (before payment nothing is needed: the
    fee is counted when it is paid)."""
    _moved(session, order, order.refunded_cents, order.fee_cents - delta_cents)


def _clear(session: Session, statement: Delete) -> None:
    """Delete the rows a rebuild replaces, payments' deltas held off until it commits (and it
    waits for those under way): it then reads every order they paid, and the deltas that come
    after add to the rows it wrote. Before, a payment opening a day's row meanwhile met the
    rebuild's own insert of that row on PostgreSQL. SQLite: a writer holds the database."""
    if session.get_bind().dialect.name == "postgresql":
        table = FunnelSalesDaily.__tablename__
        session.execute(text(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))
    session.execute(statement)


def rebuild(session: Session, funnel_id: int | None = None) -> int:
    """Recompute the rollup from the orders (every funnel's, or one), replacing what was there;
    how many rows it now has. For existing data after the migration, or to check the live one."""
    clear = delete(FunnelSalesDaily)
    query = (
        select(
            Order.id,
            Order.funnel_id,
            Order.step_id,
            Order.variant,
            Order.currency,
            Order.paid_at,
            Order.refunded_cents,
            Order.fee_cents,
            OrderLine.role,
            OrderLine.total_cents,
            OrderLine.tax_cents,
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.funnel_id.is_not(None), Order.paid_at.is_not(None))
        .order_by(Order.id, OrderLine.id)
        .execution_options(yield_per=_BATCH)
    )
    if funnel_id is not None:
        clear = clear.where(FunnelSalesDaily.funnel_id == funnel_id)
        query = query.where(Order.funnel_id == funnel_id)
    _clear(session, clear)
    sums: dict[Key, Sums] = {}
    current: tuple[int, Head, int, int] | None = None  # order id, head, refunded, fee
    lines: list[tuple[str, int, int]] = []

    def flush() -> None:
        if current is not None:
            _id, head, refunded, fee = current
            figures = line_figures([(t, x) for _r, t, x in lines], refunded, fee)
            _collect(sums, head, [r for r, _t, _x in lines], figures, 1)

    for row in session.execute(query):
        order_id, funnel, step, variant, currency, paid_at, refunded, fee = row[:8]
        if current is None or order_id != current[0]:
            flush()
            assert funnel is not None
            assert paid_at is not None
            head = (int(funnel), step or 0, variant or "", currency, _day(paid_at))
            current, lines = (order_id, head, int(refunded), int(fee)), []
        lines.append((row.role, int(row.total_cents), int(row.tax_cents)))
    flush()
    names = ("funnel_id", "step_id", "variant", "role", "currency", "day")
    rows = [
        dict(zip(names, key, strict=True))
        | dict(zip(("orders", "net_cents", "refunded_cents", "fee_cents"), v, strict=True))
        for key, v in sorted(sums.items())
    ]
    for start in range(0, len(rows), _BATCH):
        session.execute(insert(FunnelSalesDaily), rows[start : start + _BATCH])
    return len(rows)
