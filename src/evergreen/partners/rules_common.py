"""Old import path kept only for the networks modules still in this folder (being moved out).

Money helpers live in `evergreen.money`, the error in `evergreen.partners.rules`.
"""

from __future__ import annotations

from evergreen.money import (
    CENT,
    cents,
    check_currency,
    check_money,
    check_utc,
    show_money,
    show_number,
)
from evergreen.partners.rules.errors import PartnerRuleError

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
