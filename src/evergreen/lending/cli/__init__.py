"""`evergreen lending …`: borrowers, loans, draws, payments, payoffs, the book, the owner's
settings and borrowers' documents.

Values arrive as text and are checked by the lending rules: a bad amount, rate or date is one
line naming it and exit 2, with nothing stored. Money in JSON is a number rounded to cents
(`loan list`'s balance, a string, excepted).
"""

from __future__ import annotations

from evergreen.lending.cli import documents, settings
from evergreen.lending.cli.loans import app

__all__ = ["app"]

app.add_typer(documents.document_app, name="document")
app.command("settings")(settings.show_or_set)
