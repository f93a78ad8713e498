"""The largest monthly amount the finance models take, held at save so a stored household can
always be computed."""

from __future__ import annotations

from decimal import Decimal

from evergreen.finance.household import MAX_DOLLARS
from evergreen.household.errors import HouseholdInputError

__all__ = ["MODEL_LIMIT", "SHOWN_LIMIT", "check_total"]

MODEL_LIMIT = Decimal(int(MAX_DOLLARS))
SHOWN_LIMIT = f"{MODEL_LIMIT:,}"


def check_total(field: str, what: str, total: Decimal) -> None:
    """Refuse a row that takes a monthly total past the models' limit, naming the row's field,
    so that a saved household never breaks the pages that compute it."""
    if total > MODEL_LIMIT:
        raise HouseholdInputError(
            field, f"would bring {what} to {total:,.2f} a month; the total must be at most "
            f"{SHOWN_LIMIT}, so enter a smaller amount or remove another entry"
        )  # fmt: skip
