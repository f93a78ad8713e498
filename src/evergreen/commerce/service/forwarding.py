"""Forwarding supplier orders: by email (the mail area's transactional sending) or by a signed
JSON webhook, retried with backoff by a periodic task; CSV suppliers get the day's unsent
orders in one file the owner downloads, marked sent once the owner confirms. A refund's cancel
requests (service/cancellations.py) go the same ways. The buyer's shipped mail is built here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.addresses import Addresses
from evergreen.commerce.models import Order, Supplier, SupplierOrder
from evergreen.commerce.rules.checkout import order_token
from evergreen.commerce.rules.fulfilment import csv_rows, order_payload, retry_delay, to_csv
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.mail.transactional import Transactional, deliver
from evergreen.outbound import post_sender
from evergreen.signatures import sign

__all__ = [
    "SIGNATURE_HEADER",
    "Forwarded",
    "Sender",
    "export_csv",
    "forward_due",
    "http_sender",
    "mark_exported",
    "shipped_mail",
]

SIGNATURE_HEADER = "Evergreen-Signature"
# A sender posts (url, body, headers) and returns the HTTP status; it raises OSError or
# ValueError when nothing could be sent.
Sender = Callable[[str, bytes, dict[str, str]], int]

_ORDER_BODY = """<p>Hello {{ subscriber.name or "" }},</p>
<p>Please ship order {{ subscriber.fields.number }}:</p>
<p>{{ subscriber.fields.lines }}</p>
<p>To: {{ subscriber.fields.address }}</p>
<p>Reference {{ subscriber.fields.reference }}.</p>"""
_CANCEL_BODY = """<p>Hello {{ subscriber.name or "" }},</p>
<p>Order {{ subscriber.fields.number }} was refunded: please cancel it and do not ship it:</p>
<p>{{ subscriber.fields.lines }}</p>
<p>To: {{ subscriber.fields.address }}</p>
<p>If it has left already, reply with its tracking number. Reference
{{ subscriber.fields.reference }}.</p>"""
_SHIPPED_BODY = """<p>Hello {{ subscriber.name or "" }},</p>
<p>Your order {{ subscriber.fields.number }} has shipped with {{ subscriber.fields.carrier }},
tracking number {{ subscriber.fields.tracking }}.</p>
{% if subscriber.fields.tracking_url %}<p>Follow it:
<a href="{{ subscriber.fields.tracking_url }}">{{ subscriber.fields.tracking_url }}</a></p>
{% endif %}
<p>Your order, any time:
<a href="{{ subscriber.fields.url }}">{{ subscriber.fields.url }}</a></p>"""


@dataclass
class Forwarded:
    """What one forwarding run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


def http_sender(allow: Addresses, timeout: float = 10.0) -> Sender:
    """The real sender: checked public addresses only (and those allowed), no redirects."""
    return post_sender(allow, timeout)


_DUE = ("new", "cancel_requested")


def _address(ship_to: dict[str, str]) -> str:
    keys = ("name", "line1", "line2", "postal_code", "city", "region", "country")
    return ", ".join(ship_to[k] for k in keys if ship_to.get(k))


def _email(
    settings: Settings, row: SupplierOrder, supplier: Supplier, number: str, cancel: bool
) -> str | None:
    listed = "; ".join(f"{x['quantity']} x {x['sku']} ({x['name']})" for x in row.lines)
    subject = f"Cancel order {number}: do not ship" if cancel else f"New order {number} to ship"
    message = Transactional(
        to=supplier.email, name=supplier.name, subject=subject,
        body=_CANCEL_BODY if cancel else _ORDER_BODY,
        values={"number": number, "lines": listed, "address": _address(row.ship_to),
                "reference": f"supplier order {row.id}"},
    )  # fmt: skip
    return deliver(settings, message, "supplier order")


def _webhook(
    send: Sender, row: SupplierOrder, supplier: Supplier, number: str, cancel: bool
) -> str | None:
    event = "supplier_order.cancel_requested" if cancel else "supplier_order.created"
    body = order_payload(row.id, number, row.lines, row.ship_to, event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Evergreen-Commerce",
        "Idempotency-Key": f"supplier-order-{row.id}{'-cancel' if cancel else ''}",
        SIGNATURE_HEADER: sign(supplier.webhook_secret, int(utcnow().timestamp()), body),
    }
    try:
        status = send(supplier.webhook_url, body, headers)
    except (OSError, ValueError) as exc:  # refused address, DNS, timeout, connection
        return f"not delivered: {str(exc)[:300] or type(exc).__name__}"
    return None if 200 <= status < 300 else f"answered HTTP {status}"


def _forward_one(db: Database, settings: Settings, send: Sender, row_id: int, now: datetime) -> str:
    with db.session() as session:
        row = session.scalar(
            select(SupplierOrder)
            .where(SupplierOrder.id == row_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        due = row is not None and row.next_attempt_at is not None and row.next_attempt_at <= now
        if row is None or row.status not in _DUE or not due:
            return "skipped"
        cancel = row.status == "cancel_requested"
        supplier = session.get(Supplier, row.supplier_id)
        number = session.scalar(select(Order.number).where(Order.id == row.order_id)) or ""
        assert supplier is not None
        if supplier.method == "email":
            problem = _email(settings, row, supplier, number, cancel)
        elif supplier.method == "webhook":
            problem = _webhook(send, row, supplier, number, cancel)
        else:
            row.next_attempt_at = None  # the supplier changed to CSV: the owner's export sends it
            return "skipped"
        if problem is None and cancel:
            row.cancel_sent_at, row.last_error, row.next_attempt_at = now, "", None
            return "sent"
        if problem is None:
            row.status, row.sent_at, row.last_error, row.next_attempt_at = "sent", now, "", None
            return "sent"
        row.attempts += 1
        row.last_error = problem[:500]
        delay = retry_delay(row.attempts)
        if delay is None:
            row.next_attempt_at = None
            if not cancel:  # a cancel request stays requested; the owner may resend it
                row.status = "failed"
            return "failed"
        row.next_attempt_at = now + delay
        return "retried"


def forward_due(
    db: Database, settings: Settings, now: datetime, send: Sender | None = None, limit: int = 50
) -> Forwarded:
    """Forward the supplier orders that are due (new ones, and retries whose wait is over)."""
    sender = send or http_sender(Addresses(settings.webhook_allow, names=True))
    with db.session() as session:
        ids = list(
            session.scalars(
                select(SupplierOrder.id)
                .where(SupplierOrder.status.in_(_DUE), SupplierOrder.next_attempt_at <= now)
                .order_by(SupplierOrder.id)
                .limit(limit)
            )
        )
    done = Forwarded()
    for row_id in ids:
        outcome = _forward_one(db, settings, sender, row_id, now)
        if outcome != "skipped":
            setattr(done, outcome, getattr(done, outcome) + 1)
    return done


def _unsent_csv(session: Session, day: datetime | None) -> list[tuple[SupplierOrder, str, str]]:
    query = (
        select(SupplierOrder, Supplier.name, Order.number)
        .join(Supplier, Supplier.id == SupplierOrder.supplier_id)
        .join(Order, Order.id == SupplierOrder.order_id)
        .where(
            Supplier.method == "csv",
            (SupplierOrder.status == "new")
            | (
                (SupplierOrder.status == "cancel_requested")
                & SupplierOrder.cancel_sent_at.is_(None)
            ),
        )
        .order_by(SupplierOrder.id)
    )
    rows = [(row, name, number) for row, name, number in session.execute(query)]
    if day is not None:
        rows = [r for r in rows if r[0].created_at.date() <= day.date()]
    return rows


def export_csv(session: Session, day: datetime | None = None) -> tuple[str, list[int]]:
    """The unsent orders of CSV suppliers (up to `day`) in one CSV, a refund's cancel requests
    among them (action cancel), and their ids (to mark them sent once the owner confirms the
    file arrived)."""
    found = _unsent_csv(session, day)
    rows = [
        cells
        for row, name, number in found
        for cells in csv_rows(
            row.id, number, name, row.lines, row.ship_to,
            "cancel" if row.status == "cancel_requested" else "create",
        )
    ]  # fmt: skip
    return to_csv(rows), [row.id for row, _n, _o in found]


def mark_exported(session: Session, ids: list[int], now: datetime) -> int:
    """Mark exported CSV orders sent (those still new; a cancel request: told); how many
    changed."""
    changed = 0
    for row in session.scalars(
        select(SupplierOrder).where(SupplierOrder.id.in_(ids[:10_000])).with_for_update()
    ):
        if row.status == "new":
            row.status, row.sent_at, row.next_attempt_at = "sent", now, None
            changed += 1
        elif row.status == "cancel_requested" and row.cancel_sent_at is None:
            row.cancel_sent_at = now
            changed += 1
    session.flush()
    return changed


def shipped_mail(
    session: Session, supplier_order_id: int, secret: str, base_url: str
) -> Transactional:
    """The buyer's "shipped" mail: carrier, tracking number and link, and the order link."""
    row = session.get(SupplierOrder, supplier_order_id)
    assert row is not None
    order = session.get(Order, row.order_id)
    assert order is not None
    return Transactional(
        to=order.buyer_email, name=order.buyer_name,
        subject=f"Your order {order.number} has shipped", body=_SHIPPED_BODY,
        values={"number": order.number, "carrier": row.carrier, "tracking": row.tracking_number,
                "tracking_url": row.tracking_url,
                "url": f"{base_url.rstrip('/')}/buy/order/{order_token(secret, order.number)}"},
    )  # fmt: skip
