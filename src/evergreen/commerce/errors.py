"""The commerce area's one error type: a refused price rule, floor or catalog cell, by field."""

from __future__ import annotations

from evergreen.errors import InputError

__all__ = ["CommerceInputError"]


class CommerceInputError(InputError):
    """A rule, floor or CSV value refused (422 with the field, one CLI line, a form note)."""
