"""The sequences area's one error type: a refused program, trigger or timer, named by its field."""

from __future__ import annotations

from evergreen.errors import InputError

__all__ = ["SequenceInputError"]


class SequenceInputError(InputError):
    """A program, trigger or zone refused (422 with the field path, one CLI line, a form note)."""
