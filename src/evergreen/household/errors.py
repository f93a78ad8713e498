"""The household's one error type: a refused value, named by its field."""

from __future__ import annotations

from evergreen.errors import InputError

__all__ = ["HouseholdInputError"]


class HouseholdInputError(InputError):
    """An income, debt, expense or household setting refused (422, one CLI line, a form note)."""
