"""Payoff letters as PDF (fpdf2, built-in fonts: no files to ship): the figures come from the
payoff quote (rules/letters.py), the lender from the settings, the wiring text from the settings
or the owner's form."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from evergreen.config import Settings
from evergreen.lending.models import Borrower, Loan, Property
from evergreen.lending.rules.letters import PayoffLetter, check_letter_day, payoff_letter
from evergreen.lending.service.records import facts_of, funded_draws, locked_loan, quote_of
from evergreen.pdftext import latin1, paragraph

__all__ = ["lender_of", "letter_of", "letter_pdf"]

if TYPE_CHECKING:
    from fpdf import FPDF


def lender_of(settings: Settings) -> str:
    """Who the letter is from: the seller name the invoices use, else the postal address's
    first line, else a plain word."""
    first = settings.mail_postal_address.strip().splitlines()[:1]
    return settings.seller_name.strip() or (first[0].strip() if first else "") or "The lender"


def letter_of(
    session: Session, loan_id: int, as_of: date, today: date, wire: str, *, borrower: bool
) -> PayoffLetter:
    """The payoff letter of a loan for `as_of` (a borrower's within the days rules allow)."""
    loan = session.get(Loan, loan_id)
    if loan is None:
        locked_loan(session, loan_id)  # raises NotFound
    assert loan is not None
    check_letter_day(as_of, today, loan.start, borrower=borrower)
    quote = quote_of(loan, facts_of(session, loan.id), funded_draws(session, loan.id), as_of)
    owner = session.get(Borrower, loan.borrower_id)
    site = session.get(Property, loan.property_id) if loan.property_id else None
    return payoff_letter(
        quote, loan_id=loan.id, borrower=owner.name if owner else "", currency=loan.currency,
        collateral=site.address if site else "", issued=today, wire=wire,
    )  # fmt: skip


def _row(pdf: FPDF, label: str, amount: str, *, bold: bool = False) -> None:
    pdf.set_font("Helvetica", "B" if bold else "", 10)
    pdf.cell(110, 7, latin1(label), border="B")
    pdf.cell(0, 7, amount, border="B", align="R", new_x="LMARGIN", new_y="NEXT")


def letter_pdf(letter: PayoffLetter, lender: str, *, compress: bool = True) -> bytes:
    """The letter as PDF bytes (uncompressed on request, so tests can read its text)."""
    from fpdf import FPDF  # ~0.35 s to import: only when a PDF is made, not at every start

    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.set_title(latin1(f"Payoff letter, loan {letter.loan_id}"))
    pdf.set_margins(18, 18, 18)
    pdf.add_page()
    paragraph(pdf, f"Payoff letter - loan {letter.loan_id}", size=18, bold=True, height=9)
    paragraph(pdf, f"From: {lender}")
    paragraph(pdf, f"Date: {letter.issued.isoformat()}")
    paragraph(pdf, f"Borrower: {letter.borrower}")
    if letter.collateral:
        paragraph(pdf, f"Property: {letter.collateral}")
    pdf.ln(4)
    paragraph(pdf, f"Amounts owed to pay this loan off on {letter.good_through.isoformat()}:")
    pdf.ln(1)
    for label, amount in letter.lines():
        _row(pdf, label, f"{amount:,.2f} {letter.currency}")
    _row(pdf, "Total payoff", f"{letter.total:,.2f} {letter.currency}", bold=True)
    pdf.ln(4)
    paragraph(pdf, f"Good through: {letter.good_through.isoformat()}", bold=True)
    paragraph(pdf, f"Per diem: {letter.per_diem:,.2f} {letter.currency} for each day after that "
               "date until the funds arrive.")  # fmt: skip
    pdf.ln(4)
    paragraph(pdf, "Wiring instructions", bold=True)
    for line in letter.wire:
        paragraph(pdf, line)
    pdf.ln(4)
    paragraph(pdf, "Figures are subject to final verification; payments received after this letter "
               "was issued reduce the amount.", size=8)  # fmt: skip
    return bytes(pdf.output())
