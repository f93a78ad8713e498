"""The audience's one error type: a refused value, named by its field."""

from __future__ import annotations

from evergreen.errors import InputError

__all__ = ["AudienceInputError"]


class AudienceInputError(InputError):
    """A subscriber, list, import or segment refused (422, one CLI line, a form note)."""
