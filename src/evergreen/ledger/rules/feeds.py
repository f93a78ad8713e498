"""Automatic postings, decided on plain values: what should stand in the journal for a network
earning, a partner commission or a payout, and the steps from what stands now to that.

The journal is never edited, so a change is a reversal of what stands plus a new transaction;
an event that asks for what already stands (a replayed postback, a report imported twice)
asks for no step at all.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from evergreen.ledger.rules.journal import BANK, Leg

__all__ = [
    "COMMISSIONS_EARNED",
    "COMMISSIONS_PAID",
    "OWED_TO_PARTNERS",
    "PAYMENT_FEES",
    "RECEIVABLE",
    "SALES",
    "Standing",
    "Steps",
    "Want",
    "commission_want",
    "currency_problem",
    "fee_want",
    "network_want",
    "payout_want",
    "sale_want",
    "steps",
    "stream_names",
]

RECEIVABLE = "Assets:Receivable:Networks"
COMMISSIONS_EARNED = "Income:Commissions"
COMMISSIONS_PAID = "Expenses:Commissions"
OWED_TO_PARTNERS = "Liabilities:Partners:Commissions"
SALES = "Income:Sales"
PAYMENT_FEES = "Expenses:Payment-Fees"

# A partner commission is the program's cost from approval until it is reversed; being batched
# into a payout or paid does not change what it cost (the payout moves the liability to cash).
_COMMISSION_COUNTS = frozenset({"approved", "payable", "paid"})


@dataclass(frozen=True)
class Want:
    """The transaction that should stand for a source event."""

    state: str  # the word in its key: pending, approved, paid
    flag: str  # "!" pending (out of the figures) or "*" cleared
    debit: str
    credit: str
    amount: Decimal
    currency: str
    on: date
    # True when a change corrects the same event (a network's corrected report): the reversal
    # and the new amount are dated as the event. False when a change happens on its own day
    # (a refund): both are dated that day, so closed periods keep their figures.
    restates: bool = False

    def legs(self, stream_id: int) -> list[Leg]:
        """Debit and credit, both tagged with the stream."""
        return [
            Leg(self.debit, self.amount, self.currency, stream_id),
            Leg(self.credit, -self.amount, self.currency, stream_id),
        ]


@dataclass(frozen=True)
class Standing:
    """The transaction that counts for a source event now."""

    transaction_id: int
    state: str
    amount: Decimal
    currency: str
    on: date


@dataclass(frozen=True)
class Steps:
    """Reverse what stands (on a day) and/or post what is wanted (on a day); none: nothing."""

    reverse_on: date | None = None
    post_on: date | None = None


def network_want(
    status: str, commission: Decimal, currency: str, sold_on: date, *, valid: bool = True
) -> Want | None:
    """A network's commission is a receivable earned on the sale's day: pending ("!", kept out
    of the figures) until the network approves it, nothing once reversed or declined."""
    if not valid or commission == 0 or status not in ("pending", "approved"):
        return None
    flag = "!" if status == "pending" else "*"
    return Want(
        status, flag, RECEIVABLE, COMMISSIONS_EARNED, commission, currency, sold_on, restates=True
    )


def commission_want(status: str, amount: Decimal, currency: str, on: date) -> Want | None:
    """A partner's commission is the program's cost, owed to the partner, from its approval
    (a clawback, negative, takes cost and debt back); pending, held, rejected or reversed
    commissions cost nothing yet."""
    if status not in _COMMISSION_COUNTS or amount == 0:
        return None
    return Want("approved", "*", COMMISSIONS_PAID, OWED_TO_PARTNERS, amount, currency, on)


def payout_want(total: Decimal, currency: str, paid_on: date) -> Want | None:
    """A paid payout settles what was owed to partners from the bank."""
    if total == 0:
        return None
    return Want("paid", "*", OWED_TO_PARTNERS, BANK, total, currency, paid_on)


def sale_want(paid: bool, amount: Decimal, currency: str, paid_on: date) -> Want | None:
    """An order line's money, net of tax and of what was refunded, is income in the bank from
    the day it was paid; a refund reposts the smaller amount on its own day, a full one leaves
    nothing standing."""
    if not paid or amount <= 0:
        return None
    return Want("paid", "*", BANK, SALES, amount, currency, paid_on)


def fee_want(amount: Decimal, currency: str, paid_on: date) -> Want | None:
    """A payment provider's fee on an order is a cost paid from the bank on the payment's day."""
    if amount <= 0:
        return None
    return Want("paid", "*", PAYMENT_FEES, BANK, amount, currency, paid_on)


def currency_problem(currency: str, stream_currency: str, stream: str) -> str:
    """Why an amount cannot be posted to a stream ("" when it can): the journal keeps one
    currency per stream and converts nothing, so a foreign amount waits for a price."""
    if currency == stream_currency:
        return ""
    return (
        f"needs a price: {currency} cannot be posted to the {stream_currency} stream "
        f"{stream!r}; put the source in a {currency} stream and run `evergreen ledger sync`"
    )


def _same(standing: Standing, want: Want) -> bool:
    return (standing.state, standing.amount, standing.currency) == (
        want.state,
        want.amount,
        want.currency,
    )


def steps(standing: Standing | None, want: Want | None, today: date) -> Steps:
    """From what stands to what is wanted; `today` is the day of the event that asks."""
    if want is None:
        if standing is None:
            return Steps()
        return Steps(reverse_on=max(today, standing.on))
    if standing is None:
        return Steps(post_on=want.on)
    if _same(standing, want):
        return Steps()
    if want.restates:
        return Steps(reverse_on=standing.on, post_on=want.on)
    day = max(today, standing.on, want.on)
    return Steps(reverse_on=day, post_on=day)


def stream_names(base: str) -> Iterator[str]:
    """Names for the stream of a source that has none: its own name, then numbered ones."""
    name = " ".join(base.split())[:100] or "Stream"
    yield name
    for number in itertools.count(2):
        suffix = f" ({number})"
        yield name[: 100 - len(suffix)] + suffix
