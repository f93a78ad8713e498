"""Text in the PDFs drawn with fpdf's built-in fonts (invoices, payoff letters): those fonts
draw Latin-1 only, so every string is made drawable the same way."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

__all__ = ["latin1", "paragraph"]


def latin1(text: str) -> str:
    """Text the PDF's built-in fonts can draw: accents kept where Latin-1 has them, others
    reduced to their base letter, anything else a question mark (never an error)."""
    out = []
    for char in text:
        try:
            char.encode("latin-1")
            out.append(char if char.isprintable() else " ")
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode()
            out.append(base or "?")
    return "".join(out)


def paragraph(
    pdf: FPDF, text: str, *, size: float = 10, bold: bool = False, height: float = 5
) -> None:
    """A paragraph of Helvetica across the page, wrapped, its text made drawable."""
    pdf.set_font("Helvetica", "B" if bold else "", size)
    pdf.multi_cell(0, height, latin1(text), new_x="LMARGIN", new_y="NEXT")
