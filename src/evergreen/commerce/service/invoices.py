"""Invoices and credit notes of paid orders as PDF (fpdf2, built-in fonts: no files to ship):
the figures come from rules/invoices.py, the seller from the settings (the postal address the
mail area puts under bulk mail), the buyer from the order."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.commerce.models import Order, OrderLine
from evergreen.commerce.rules.checkout import check_buyer_email
from evergreen.commerce.rules.invoices import (
    Document,
    LineFigures,
    Party,
    credit_note,
    invoice,
    party,
)
from evergreen.commerce.rules.products import from_cents
from evergreen.config import Settings
from evergreen.errors import Conflict, InputError, NotFound
from evergreen.pdftext import latin1, paragraph

__all__ = [
    "INVOICED",
    "buyer_invoice_order",
    "credit_note_of",
    "invoice_of",
    "invoiced_orders_of_email",
    "order_by_number",
    "render_pdf",
    "seller_of",
]

INVOICED = ("paid", "partially_refunded", "refunded")
_NUMBER = re.compile(r"[A-Za-z0-9_-]{1,24}")

if TYPE_CHECKING:
    from fpdf import FPDF


def seller_of(settings: Settings) -> Party:
    """The seller as configured: its name (else the postal address's first line), address and
    tax id."""
    address = party("", settings.mail_postal_address)
    name = settings.seller_name.strip() or (address.address[0] if address.address else "")
    lines = address.address[1:] if not settings.seller_name.strip() else address.address
    return Party(name or "Seller", lines, settings.seller_tax_id.strip())


def order_by_number(session: Session, number: str) -> Order:
    """An invoiced order by its number; anything else (odd text included) is not found."""
    if not _NUMBER.fullmatch(number):  # never sent to the database (NUL, length, …)
        raise NotFound("order", "no invoice for this order number")
    row = session.scalar(select(Order).where(Order.number == number))
    if row is None or row.status not in INVOICED or row.paid_at is None:
        raise NotFound("order", "no invoice for this order number")
    return row


def invoiced_orders_of_email(session: Session, email: str) -> list[Order]:
    """A buyer's paid (or since refunded) orders, newest first."""
    try:
        buyer = check_buyer_email(email)
    except InputError:
        return []
    query = select(Order).where(
        func.lower(Order.buyer_email) == buyer.lower(),
        Order.status.in_(INVOICED),
        Order.paid_at.is_not(None),
    )
    return list(session.scalars(query.order_by(Order.paid_at.desc(), Order.id.desc())))


def buyer_invoice_order(session: Session, email: str, number: str) -> Order:
    """The order a signed-in buyer asks the invoice of: theirs, or not found (never "not yours",
    which would tell that the number exists)."""
    row = order_by_number(session, number)
    if row.buyer_email.strip().lower() != email.strip().lower():
        raise NotFound("order", "no invoice for this order number")
    return row


def invoice_of(session: Session, settings: Settings, order: Order) -> Document:
    """The invoice of an invoiced order, dated the day it was paid."""
    if order.status not in INVOICED or order.paid_at is None:
        raise NotFound("order", "this order is not paid, so it has no invoice yet")
    lines = session.scalars(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
    )
    figures = [
        LineFigures(line.product_name, line.quantity, line.unit_cents, line.discount_cents,
                    line.tax_cents, line.total_cents)
        for line in lines
    ]  # fmt: skip
    address = [order.buyer_region, order.buyer_country]
    buyer = party(order.buyer_name or order.buyer_email, ", ".join(a for a in address if a),
                  email=order.buyer_email)  # fmt: skip
    try:
        return invoice(order.number, order.paid_at.date(), seller_of(settings), buyer,
                       order.currency, figures, order.total_cents)  # fmt: skip
    except ValueError as error:  # stored lines changed by hand: say so, never a 500
        raise Conflict("order", f"no invoice: {error}") from error


def credit_note_of(session: Session, settings: Settings, order: Order) -> Document:
    """The credit note of what was refunded of an order, dated the last refund."""
    if order.refunded_cents <= 0:
        raise NotFound("order", "nothing of this order was refunded, so it has no credit note")
    issued = (order.refunded_at or order.paid_at or order.created_at).date()
    return credit_note(invoice_of(session, settings, order), order.refunded_cents, issued)


def _money(cents: int) -> str:
    return f"{from_cents(cents)}"


def _rate(rate: Decimal) -> str:
    return f"{rate.normalize():f} %"


def render_pdf(doc: Document, *, compress: bool = True) -> bytes:
    """The document as PDF bytes (uncompressed on request, so tests can read its text)."""
    from fpdf import FPDF  # ~0.35 s to import: only when a PDF is made, not at every start

    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.set_title(latin1(f"{_title(doc)} {doc.number}"))
    pdf.set_margins(18, 18, 18)
    pdf.add_page()
    _head(pdf, doc)
    _table(pdf, doc)
    return bytes(pdf.output())


def _title(doc: Document) -> str:
    return "Credit note" if doc.kind == "credit_note" else "Invoice"


def _head(pdf: FPDF, doc: Document) -> None:
    paragraph(pdf, f"{_title(doc)} {doc.number}", size=18, bold=True, height=9)
    paragraph(pdf, f"Date: {doc.issued.isoformat()}")
    if doc.refers_to:
        paragraph(pdf, f"Corrects invoice {doc.refers_to}")
    pdf.ln(4)
    for label, who in (("From", doc.seller), ("To", doc.buyer)):
        paragraph(pdf, label, bold=True)
        paragraph(pdf, who.name)
        for line in who.address:
            paragraph(pdf, line)
        if who.email:
            paragraph(pdf, who.email)
        if who.tax_id:
            paragraph(pdf, f"Tax id: {who.tax_id}")
        pdf.ln(3)


_WIDTHS = (62, 12, 22, 22, 18, 18, 20)


def _row(pdf: FPDF, cells: tuple[str, ...], *, bold: bool = False) -> None:
    pdf.set_font("Helvetica", "B" if bold else "", 9)
    for index, (width, text) in enumerate(zip(_WIDTHS, cells, strict=True)):
        pdf.cell(width, 6, latin1(text)[:48], border="B", align="L" if index == 0 else "R")
    pdf.ln()


def _table(pdf: FPDF, doc: Document) -> None:
    _row(pdf, ("Item", "Qty", "Unit", "Discount", "Tax rate", "Tax", "Amount"), bold=True)
    for line in doc.lines:
        _row(pdf, (line.description, str(line.quantity), _money(line.unit),
                   _money(line.discount), _rate(line.tax_rate), _money(line.tax),
                   _money(line.amount)))  # fmt: skip
    pdf.ln(3)
    credited = " credited" if doc.kind == "credit_note" else ""
    paragraph(pdf, f"Net{credited}: {_money(doc.net)} {doc.currency}")
    paragraph(pdf, f"Tax{credited}: {_money(doc.tax)} {doc.currency}")
    paragraph(pdf, f"Total{credited}: {_money(doc.total)} {doc.currency}", bold=True)
