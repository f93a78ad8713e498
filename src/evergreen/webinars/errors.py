"""The webinars' one error type: a refused value, named by its field."""

from __future__ import annotations

from evergreen.errors import InputError

__all__ = ["WebinarInputError"]


class WebinarInputError(InputError):
    """A webinar, schedule, time zone or session query refused (422, one CLI line, a form note)."""
