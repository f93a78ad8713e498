"""The funnels area's one error type: a refused step, variant, colour or spend cell, by field."""

from __future__ import annotations

from evergreen.errors import InputError

__all__ = ["FunnelInputError"]


class FunnelInputError(InputError):
    """A funnel value refused (422 with the field, one CLI line, a note on the form)."""
