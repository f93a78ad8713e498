"""The mail area's one error type: a refused template, address, header or message."""

from __future__ import annotations

from evergreen.errors import InputError

__all__ = ["MailInputError"]


class MailInputError(InputError):
    """A template, address, subject or message refused (422, one CLI line, a form note)."""
