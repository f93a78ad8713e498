"""Whole numbers written as text by people and other systems: ASCII digits and nothing else.

`str.isdigit()` is true for "²" and for other scripts' digits; `int()` refuses the first (a
ValueError: a 500 or a traceback where "not a number" was due) and reads "١٢" as 12. IDs,
counts, timestamps and lengths read from forms, links, cookies, headers, files and commands
are checked here instead, and a row's ID written as text is read by one rule (`row_id`).
"""

from __future__ import annotations

__all__ = ["MAX_ID", "is_digits", "row_id"]

# The largest row ID every database stores: ID columns are PostgreSQL's `integer` (32 bits; the
# clicks and the send log alone have 64-bit IDs), and an ID past it made PostgreSQL refuse the
# query ("integer out of range", a 500) where SQLite found nothing.
MAX_ID = 2**31 - 1


def is_digits(text: str) -> bool:
    """Whether `text` is one or more ASCII digits, which `int` reads the same everywhere."""
    return text.isascii() and text.isdigit()


def row_id(text: str) -> int | None:
    """The row ID a form's select, a cookie or a command names (surrounding spaces ignored), or
    None when the text cannot be one: anything but ASCII digits, 0, or past `MAX_ID`."""
    value = text.strip()
    significant = value.lstrip("0")
    if not is_digits(value) or not 0 < len(significant) <= 10:  # no int() of a long run
        return None
    number = int(significant)
    return number if number <= MAX_ID else None
