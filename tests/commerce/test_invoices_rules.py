"""An invoice's figures without a database: lines add up to the order's total to the cent, a
credit note shares a refund over the lines exactly, names and numbers are made safe."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.commerce.rules.invoices import (
    LineFigures,
    credit_note,
    filename,
    invoice,
    party,
    tax_rate,
)

SELLER = party("Shop Ltd", "1 Main St\nBerlin, DE", tax_id="DE123")
BUYER = party("Bea", "DE", email="bea@example.com")
DAY = date(2026, 12, 5)


def _line(net: int, tax: int, discount: int = 0) -> LineFigures:
    return LineFigures("Book", 1, net + discount, discount, tax, net + tax)


def test_an_invoice_keeps_the_order_figures_and_reads_the_tax_rate() -> None:
    doc = invoice("A1", DAY, SELLER, BUYER, "EUR", [_line(2610, 496, 290), _line(900, 171)], 4177)
    assert doc.total == 4177
    assert doc.tax == 667
    assert doc.net == 3510
    assert [each.tax_rate for each in doc.lines] == [Decimal("19.00"), Decimal("19.00")]
    assert doc.seller.address == ("1 Main St", "Berlin", "DE")
    assert doc.seller.tax_id == "DE123"


def test_lines_that_do_not_add_up_are_refused() -> None:
    with pytest.raises(ValueError, match="lines add up to 100"):
        invoice("A1", DAY, SELLER, BUYER, "EUR", [_line(100, 0)], 101)


@given(
    st.lists(st.tuples(st.integers(1, 10**7), st.integers(0, 10**6)), min_size=1, max_size=8),
    st.data(),
)
def test_lines_and_credit_notes_add_up_to_the_cent(
    parts: list[tuple[int, int]], data: st.DataObject
) -> None:
    lines = [_line(net, tax) for net, tax in parts]
    total = sum(each.total for each in lines)
    doc = invoice("A1", DAY, SELLER, BUYER, "EUR", lines, total)
    assert sum(each.amount for each in doc.lines) == doc.total == total
    refunded = data.draw(st.integers(1, total))
    note = credit_note(doc, refunded, DAY)
    assert sum(each.amount for each in note.lines) == note.total == refunded
    assert note.tax <= doc.tax
    assert note.number == "A1-CN"
    assert note.refers_to == "A1"
    assert all(0 <= each.tax <= each.amount for each in note.lines)


def test_a_credit_note_credits_something_and_no_more_than_the_invoice() -> None:
    doc = invoice("A1", DAY, SELLER, BUYER, "EUR", [_line(100, 0)], 100)
    for refunded in (0, 101):
        with pytest.raises(ValueError, match="a credit note credits 1 to 100 cents"):
            credit_note(doc, refunded, DAY)


@pytest.mark.parametrize(
    ("number", "expected"),
    [("A-1_2", "invoice-A-1_2.pdf"), ('a"b/../c', "invoice-a_b_c.pdf"), ("", "invoice-order.pdf"),
     ("ü\r\n;x", "invoice-x.pdf")],
)  # fmt: skip
def test_filenames_are_safe(number: str, expected: str) -> None:
    assert filename("invoice", number) == expected
    assert filename("credit_note", "A1") == "credit-note-A1.pdf"


def test_tax_rates_are_rounded_and_safe_on_zero() -> None:
    assert tax_rate(0, 0) == Decimal("0.00")
    assert tax_rate(3, 1) == Decimal("33.33")
