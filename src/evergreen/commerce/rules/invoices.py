"""An invoice's figures from plain values: seller, buyer, number, date, lines with unit, discount,
tax rate and amount, and totals that equal the order's to the cent; a refund's credit note,
numbered after the invoice it corrects, shares the refunded cents over the same lines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from evergreen.commerce.rules.cart import share

__all__ = [
    "CREDIT_SUFFIX",
    "Document",
    "DocumentLine",
    "LineFigures",
    "Party",
    "credit_note",
    "filename",
    "invoice",
    "party",
    "tax_rate",
]

CREDIT_SUFFIX = "-CN"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Party:
    """Who sells or buys: a name, address lines and a tax id when there is one."""

    name: str
    address: tuple[str, ...] = ()
    tax_id: str = ""
    email: str = ""


@dataclass(frozen=True)
class LineFigures:
    """One order line as stored: quantity, unit price, discount, tax and total in cents."""

    description: str
    quantity: int
    unit: int
    discount: int
    tax: int
    total: int


@dataclass(frozen=True)
class DocumentLine:
    """One line as printed: the amount is what it adds to the total (tax included)."""

    description: str
    quantity: int
    unit: int
    discount: int
    tax_rate: Decimal  # percent, two places
    tax: int
    amount: int


@dataclass(frozen=True)
class Document:
    """An invoice or a credit note, ready to render; Σ line amounts = total, always."""

    kind: str  # invoice or credit_note
    number: str
    refers_to: str  # a credit note's invoice number; "" for an invoice
    issued: date
    seller: Party
    buyer: Party
    currency: str
    lines: tuple[DocumentLine, ...]
    tax: int
    total: int

    @property
    def net(self) -> int:
        """The total before tax."""
        return self.total - self.tax


def party(name: str, address: str = "", tax_id: str = "", email: str = "") -> Party:
    """A party from configured text: address lines split on new lines or commas, blanks gone."""
    lines = tuple(part.strip() for part in re.split(r"[\n,]", address) if part.strip())
    return Party(name.strip(), lines, tax_id.strip(), email.strip())


def tax_rate(net: int, tax: int) -> Decimal:
    """The rate a line was taxed at, from its cents (the order keeps amounts, not rates)."""
    if net <= 0 or tax <= 0:
        return Decimal("0.00")
    return (Decimal(tax) * 100 / net).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _line(figures: LineFigures) -> DocumentLine:
    return DocumentLine(
        figures.description, figures.quantity, figures.unit, figures.discount,
        tax_rate(figures.total - figures.tax, figures.tax), figures.tax, figures.total,
    )  # fmt: skip


def invoice(
    number: str,
    issued: date,
    seller: Party,
    buyer: Party,
    currency: str,
    lines: list[LineFigures],
    total: int,
) -> Document:
    """The invoice of a paid order; refused when its lines do not add up to the order's total."""
    printed = tuple(_line(each) for each in lines)
    if sum(each.amount for each in printed) != total:
        raise ValueError(f"order {number}: lines add up to {sum(e.amount for e in printed)}, "
                         f"not {total}")  # fmt: skip
    tax = sum(each.tax for each in printed)
    return Document("invoice", number, "", issued, seller, buyer, currency, printed, tax, total)


def credit_note(original: Document, refunded: int, issued: date) -> Document:
    """The credit note for `refunded` cents of an invoice: shared over its lines by amount (and
    each line's tax in proportion), so its lines add up to the refund exactly."""
    if not 0 < refunded <= original.total:
        raise ValueError(f"a credit note credits 1 to {original.total} cents, not {refunded}")
    amounts = share(refunded, [each.amount for each in original.lines])
    lines = []
    for each, amount in zip(original.lines, amounts, strict=True):
        tax = each.tax * amount // each.amount if each.amount else 0
        lines.append(DocumentLine(each.description, each.quantity, each.unit, 0,
                                  each.tax_rate, tax, amount))  # fmt: skip
    return Document(
        "credit_note", original.number + CREDIT_SUFFIX, original.number, issued,
        original.seller, original.buyer, original.currency, tuple(lines),
        sum(each.tax for each in lines), refunded,
    )  # fmt: skip


def filename(kind: str, number: str) -> str:
    """A download name any browser and file system takes: letters, digits, - and _ only."""
    safe = _UNSAFE.sub("_", number).strip("_")[:40] or "order"
    return f"{'credit-note' if kind == 'credit_note' else 'invoice'}-{safe}.pdf"
