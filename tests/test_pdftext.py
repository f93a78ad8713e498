"""Text in the built-in-font PDFs (invoices, payoff letters): drawable whatever the input."""

from __future__ import annotations

from fpdf import FPDF

from evergreen.pdftext import latin1, paragraph


def test_text_for_the_builtin_font_never_fails() -> None:
    assert latin1("Zoë Ćwik 東京\t") == "Zoë Cwik ?? "  # a tab is not printable: a space


def test_a_paragraph_draws_any_text_in_the_builtin_font() -> None:
    pdf = FPDF(format="A4")
    pdf.set_compression(False)
    pdf.add_page()
    paragraph(pdf, "Ćwik owes 東京", size=18, bold=True)
    assert pdf.get_y() > pdf.t_margin  # the line moved the cursor down the page
    drawn = bytes(pdf.output())
    assert b"(Cwik owes ??) Tj" in drawn
    assert b"/Helvetica-Bold" in drawn
