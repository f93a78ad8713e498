"""Whole numbers written as text by people and other systems: ASCII digits and nothing else.

`str.isdigit()` is true for "²" and for other scripts' digits; `int()` refuses the first (a
ValueError: a 500 or a traceback where "not a number" was due) and reads "١٢" as 12. IDs,
counts, timestamps and lengths read from forms, links, cookies, headers, files and commands
are checked here instead.
"""

from __future__ import annotations

__all__ = ["is_digits"]


def is_digits(text: str) -> bool:
    """Whether `text` is one or more ASCII digits, which `int` reads the same everywhere."""
    return text.isascii() and text.isdigit()
