"""The ledger's one error type: a refused value, named by its field."""

from __future__ import annotations

from evergreen.errors import InputError

__all__ = ["LedgerInputError"]


class LedgerInputError(InputError):
    """An entry, stream, hour or rate the ledger refuses (422, one CLI line, a form message)."""
