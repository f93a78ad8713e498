"""Pure payout planning: net clawbacks per partner and currency, pay what clears the threshold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from evergreen.money import CENT, cents, check_currency, check_money, check_utc
from evergreen.partners.rules.errors import PartnerRuleError

__all__ = [
    "Payable",
    "PayoutLine",
    "payout_reference",
    "period_of",
    "plan_payouts",
    "replan_open_payout",
]


@dataclass(frozen=True)
class Payable:
    """A commission ready to pay; a negative amount is a clawback to net from the next payout."""

    commission_id: int
    partner_id: int
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class PayoutLine:
    """What one partner gets in one currency, and exactly which commissions make it up."""

    partner_id: int
    currency: str
    total: Decimal
    commission_ids: tuple[int, ...]


def plan_payouts(
    items: Sequence[Payable], *, threshold: Decimal
) -> tuple[list[PayoutLine], list[PayoutLine]]:
    """Split into (paid now, carried over), one line per partner and currency, ordered by both.

    Clawbacks are netted against the same partner's commissions in the same currency; a line
    whose net total is not positive or is below the threshold is carried over whole, so a
    clawback is never dropped and never paid out on its own. The threshold applies to every
    currency alike.
    """
    limit = check_money("threshold", threshold)
    groups: dict[tuple[int, str], list[tuple[int, Decimal]]] = {}
    seen: set[int] = set()
    for item in items:
        if item.commission_id in seen:
            raise PartnerRuleError(
                "items", f"commission {item.commission_id} is listed twice; it would be paid twice"
            )
        seen.add(item.commission_id)
        currency = check_currency("currency", item.currency)
        amount = check_money("amount", item.amount, allow_negative=True)
        if amount.quantize(CENT) != amount:
            raise PartnerRuleError(
                "amount", f"commission {item.commission_id}: {amount} is not in whole cents"
            )
        groups.setdefault((item.partner_id, currency), []).append((item.commission_id, amount))
    paid: list[PayoutLine] = []
    carried: list[PayoutLine] = []
    for (partner_id, currency), members in sorted(groups.items()):
        total = cents(sum((amount for _id, amount in members), Decimal(0)))
        line = PayoutLine(partner_id, currency, total, tuple(cid for cid, _amount in members))
        (paid if total > 0 and total >= limit else carried).append(line)
    return paid, carried


def replan_open_payout(items: Sequence[Payable]) -> tuple[list[PayoutLine], list[PayoutLine]]:
    """An unpaid batch's lines after its commissions changed (a refund): (still paid, let go).

    A batch pays the net of its commissions as they stand when it is exported or paid, as
    Rewardful and FirstPromoter do; a line still positive stays in it even below the threshold
    (the owner already chose to pay it and may have sent the file), while a line that fell to
    zero or below (a clawback no longer covered) leaves whole, to be netted in a later payout.
    """
    return plan_payouts(items, threshold=Decimal(0))


def period_of(at: datetime, period: Literal["monthly"] = "monthly") -> tuple[datetime, datetime]:
    """The payout period containing `at`, as [start, end) in UTC: the calendar month."""
    if period != "monthly":
        raise PartnerRuleError("period", f"only monthly payout periods exist (got {period!r})")
    moment = check_utc("at", at)
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if start.month == 12:
        return start, start.replace(year=start.year + 1, month=1)
    return start, start.replace(month=start.month + 1)


def payout_reference(payout_id: int, partner_id: int) -> str:
    """The reference a payment carries (as in the PayPal and Wise files) to find it again."""
    return f"evergreen-payout-{payout_id}-partner-{partner_id}"
