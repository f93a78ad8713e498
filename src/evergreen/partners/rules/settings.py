"""Pure checks of the program's settings: payout threshold, landing page, windows, model."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from evergreen.money import CENT
from evergreen.partners.rules.attribution import MAX_WINDOW_DAYS, MIN_WINDOW_DAYS
from evergreen.partners.rules.errors import PartnerRuleError
from evergreen.urls import check_http_url

__all__ = [
    "MAX_HOLDING_DAYS",
    "MAX_THRESHOLD",
    "MODELS",
    "ProgramSettings",
    "check_settings",
]

MAX_HOLDING_DAYS = 365
MAX_THRESHOLD = Decimal("1000000")
MODELS = ("last", "first")


@dataclass(frozen=True)
class ProgramSettings:
    """What the owner may change about the program, as entered (checked by check_settings)."""

    payout_threshold: Decimal
    landing_url: str = ""
    holding_days: int = 30
    window_days: int = 30
    attribution_model: str = "last"
    stream_id: int | None = None  # the income stream commissions are a cost of (ledger)


def _days(field: str, value: int, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PartnerRuleError(field, f"must be a whole number of days from {low} to {high} {what}")
    return value


def _threshold(value: Decimal) -> Decimal:
    """A payout threshold in whole cents, 0 (pay every balance) up to a million."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise PartnerRuleError("payout_threshold", "must be an amount like 50 or 25.50")
    amount = Decimal(value)
    if not amount.is_finite():
        raise PartnerRuleError("payout_threshold", "must be an amount like 50 or 25.50")
    if not Decimal(0) <= amount <= MAX_THRESHOLD:
        raise PartnerRuleError(
            "payout_threshold", f"must be from 0 to {MAX_THRESHOLD:,} (0 pays every balance)"
        )
    if amount.quantize(CENT) != amount:
        raise PartnerRuleError("payout_threshold", "must be in whole cents, e.g. 50 or 25.50")
    return amount.quantize(CENT)


def _stream(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PartnerRuleError("stream_id", "must be the ID of a stream, or empty for none")
    return value


def check_settings(draft: ProgramSettings) -> ProgramSettings:
    """The settings to store, or an error naming the first field to fix and how."""
    landing = draft.landing_url.strip()
    if landing:
        landing = check_http_url("landing_url", landing, PartnerRuleError)
    if draft.attribution_model not in MODELS:
        raise PartnerRuleError(
            "attribution_model", "must be last (the latest click wins) or first (the first wins)"
        )
    return ProgramSettings(
        payout_threshold=_threshold(draft.payout_threshold),
        landing_url=landing,
        holding_days=_days(
            "holding_days", draft.holding_days, 0, MAX_HOLDING_DAYS, "(the refund window)"
        ),
        window_days=_days(
            "window_days", draft.window_days, MIN_WINDOW_DAYS, MAX_WINDOW_DAYS, "(a click's life)"
        ),
        attribution_model=draft.attribution_model,
        stream_id=_stream(draft.stream_id),
    )
