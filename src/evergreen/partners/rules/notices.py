"""Payout notices (pure): what the email telling a partner about a paid payout says, and what
becomes of a notice after each attempt to send it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from evergreen.money import show_money

__all__ = [
    "NOTICE_CLAIM",
    "NOTICE_LIFETIME",
    "NOTICE_MAX_ATTEMPTS",
    "NoticeFacts",
    "NoticeStatus",
    "notice_status_after",
    "notice_values",
]

NoticeStatus = Literal["due", "sending", "sent", "failed"]
# A notice is tried at most this many times, and not at all once this old (a payout marked paid
# while mail was not set up is not announced weeks later, when it is).
NOTICE_MAX_ATTEMPTS = 5
NOTICE_LIFETIME = timedelta(days=7)
# A claim not settled in this time (the sender died mid-send) is due again.
NOTICE_CLAIM = timedelta(minutes=15)
_METHODS = {"paypal": "PayPal", "wise": "Wise"}


@dataclass(frozen=True)
class NoticeFacts:
    """What one partner was paid in one payout: per currency, for which commissions, how."""

    payout_id: int
    program: str
    amounts: Sequence[tuple[str, Decimal]]  # (currency, total) per payout line
    first: date | None  # the earliest and latest commission the payout settles for them
    last: date | None
    method: str
    pay_to: str
    reference: str


def notice_values(facts: NoticeFacts) -> dict[str, str]:
    """The notice's values as the partner reads them: amounts, period, method, reference."""
    amounts = ", ".join(f"{show_money(total)} {code}" for code, total in sorted(facts.amounts))
    if facts.first is None or facts.last is None:
        period = ""
    elif facts.first == facts.last:
        period = facts.first.isoformat()
    else:
        period = f"{facts.first.isoformat()} to {facts.last.isoformat()}"
    method = _METHODS.get(facts.method, facts.method)
    return {
        "payout": str(facts.payout_id),
        "program": facts.program,
        "amount": amounts or "0.00",
        "period": period,
        "method": f"{method} ({facts.pay_to})" if facts.pay_to else method,
        "reference": facts.reference,
    }


def notice_status_after(
    problem: str | None,
    attempts: int,
    created_at: datetime,
    now: datetime,
    *,
    max_attempts: int = NOTICE_MAX_ATTEMPTS,
    lifetime: timedelta = NOTICE_LIFETIME,
) -> NoticeStatus:
    """A notice after an attempt: sent, due again (a later try may work), or failed for good."""
    if problem is None:
        return "sent"
    if attempts >= max_attempts or now - created_at >= lifetime:
        return "failed"
    return "due"
