"""The partner program's input error; money helpers live in evergreen.money for every area."""

from __future__ import annotations

from evergreen.errors import InputError
from evergreen.money import (
    CENT,
    cents,
    check_currency,
    check_money,
    check_utc,
    show_money,
    show_number,
)

__all__ = [
    "CENT",
    "PartnerRuleError",
    "cents",
    "check_currency",
    "check_money",
    "check_utc",
    "show_money",
    "show_number",
]


class PartnerRuleError(InputError):
    """A partner-program value that breaks a rule, named so the caller can point at it."""
