"""The lending area's one error type: a refused value, named by its field."""

from __future__ import annotations

from evergreen.errors import InputError

__all__ = ["LendingInputError"]


class LendingInputError(InputError):
    """A loan, draw, payment or borrower value refused (422, one CLI line, a form note)."""
