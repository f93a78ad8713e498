"""The one error every finance model raises for bad input."""

from __future__ import annotations


class FinanceInputError(ValueError):
    """Bad input named by field, so the CLI, API and pages can say exactly what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
