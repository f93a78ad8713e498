"""The one error every finance model raises for bad input."""

from __future__ import annotations

from evergreen.errors import InputError


class FinanceInputError(InputError):
    """Bad input named by field, so the CLI, API and pages can say exactly what to fix."""
