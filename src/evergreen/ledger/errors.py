"""The ledger's error types: a refused value, named by its field; a stream whose saved rates
leave it no value."""

from __future__ import annotations

from evergreen.errors import Conflict, InputError

__all__ = ["LedgerInputError", "SavedRatesConflict"]


class LedgerInputError(InputError):
    """An entry, stream, hour or rate the ledger refuses (422, one CLI line, a form message)."""


class SavedRatesConflict(Conflict):
    """A stream's saved persistence leaves it no value (saved before 1 + r - ω > 0 was checked):
    the request is fine, the stored row is not, so 409 and its page asks to fix the field."""
