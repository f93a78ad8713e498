"""The one input-error type every area raises, mapped once for the API, pages and the CLI."""

from __future__ import annotations

__all__ = ["Conflict", "InputError", "NotFound"]


class InputError(ValueError):
    """A value a person or system sent that breaks a rule, named so the caller can point at it.

    The API answers 422 with the field, a page shows the message beside its form, the CLI
    prints one line and exits 2. Areas subclass it to say where it came from.
    """

    status = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(InputError):
    """The thing asked for does not exist (or is not the asker's to see): 404."""

    status = 404


class Conflict(InputError):
    """The request is well formed but clashes with what is stored: 409."""

    status = 409
