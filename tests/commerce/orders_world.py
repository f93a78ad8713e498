"""A small shop for the orders tests: a book with a workbook bump, a coupon a partner owns,
a tax rate, and what the ledger, partners and audience hold about an order afterwards."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.models import Order
from evergreen.ledger.models import JournalEntry
from evergreen.partners import service as partners
from evergreen.partners.models import Commission, Conversion
from evergreen.signatures import sign
from tests.conftest import TEST_SECRET

__all__ = ["HOOK_SECRET", "SECRET", "Shop", "buy", "counts", "make_shop", "stripe_event"]

SECRET = TEST_SECRET
HOOK_SECRET = "whsec_orders_test"


@dataclass(frozen=True)
class Shop:
    """Ids of what the tests buy."""

    book: int
    workbook: int


def make_shop(session: Session) -> Shop:
    """A book (29.00 EUR) with a workbook bump (9.00 EUR), a partner's coupon ANA (10 %),
    and a 19 % tax in DE."""
    book = service.add_product(session, service.ProductDraft("Book", "digital"))
    workbook = service.add_product(session, service.ProductDraft("Workbook", "digital"))
    for row, amount in ((book, "29.00"), (workbook, "9.00")):
        service.add_price(session, row.id, service.PriceDraft("EUR", amount))
        service.set_status(session, row.id, "active")
    service.set_bump(session, book.id, workbook.id, "Add the workbook")
    service.add_tax_rate(session, service.TaxDraft("DE", "19"))
    service.add_coupon(session, service.CouponDraft("ANA", percent_off="10"))
    program = partners.default_program(session, "EUR")
    program.holding_days = 0
    partners.add_terms(
        session, program,
        partners.TermsDraft(kind="percent", rate=Decimal("20"),
                            effective_from=datetime.now(UTC) - timedelta(days=1)),
    )  # fmt: skip
    partner = partners.create_partner(
        session, program, name="Ana", email="ana@example.com", status="active"
    )
    partners.add_coupon(session, partner, "ANA")
    return Shop(book.id, workbook.id)


def buy(**changes: Any) -> service.CheckoutInput:
    """A checkout of the book with its bump and the coupon, from Germany."""
    values: dict[str, Any] = {
        "slug": "book", "currency": "EUR", "email": "buyer@example.com", "name": "Bea",
        "nonce": uuid.uuid4().hex, "country": "DE", "bump": True, "coupon": "ana",
    }  # fmt: skip
    values.update(changes)
    return service.CheckoutInput(**values)


def stripe_event(kind: str, obj: dict[str, Any], event_id: str | None = None) -> tuple[bytes, str]:
    """A Stripe event signed with the webhook secret, as Stripe would post it."""
    body = {"id": event_id or f"evt_{uuid.uuid4().hex}", "object": "event", "type": kind,
            "data": {"object": obj}}  # fmt: skip
    payload = json.dumps(body).encode()
    return payload, sign(HOOK_SECRET, int(time.time()), payload)


def counts(session: Session, number: str) -> dict[str, Any]:
    """What the other areas hold about an order."""
    order = session.scalar(select(Order).where(Order.number == number))
    assert order is not None
    entries = session.scalars(
        select(JournalEntry).where(JournalEntry.source == "commerce").order_by(JournalEntry.id)
    ).all()
    conversions = session.scalars(
        select(Conversion).where(Conversion.order_id == number).order_by(Conversion.id)
    ).all()
    commissions = session.scalar(
        select(func.count())
        .select_from(Commission)
        .join(Conversion, Commission.conversion_id == Conversion.id)
        .where(Conversion.order_id == number)
    )  # fmt: skip
    return {
        "status": order.status,
        "refunded": order.refunded_cents,
        "entries": len(entries),
        "conversions": [(c.event, c.amount) for c in conversions],
        "commissions": commissions,
    }
