"""Fee waivers: what is left of each fee charged on a loan, and whether a waiver of it stands.

A loan keeps one running total of fees owed; a payment's fees part says how much of it was
paid, not which fee. Each fee's share is read back by walking the movements in the order they
were recorded: a payment settles the oldest fees first (by their date), a waiver the fee it
names. A waiver takes the fee's part off what is owed and off the fee income it posted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from evergreen.errors import Conflict
from evergreen.lending.errors import LendingInputError
from evergreen.lending.rules.amounts import ZERO
from evergreen.money import show_money

__all__ = [
    "MAX_REASON",
    "WAIVER",
    "FeeLine",
    "FeeMove",
    "Waiver",
    "check_waiver",
    "fee_lines",
    "read_reason",
    "waiver_key",
]

WAIVER = "fee_waiver"  # the movement's kind
MAX_REASON = 300
_PAYMENTS = ("payment", "payoff")


@dataclass(frozen=True)
class FeeMove:
    """A stored movement as the fee walk reads it; `waives` is the fee a waiver names."""

    id: int
    kind: str
    on: date
    fees: Decimal
    note: str = ""
    waives: int | None = None


@dataclass(frozen=True)
class FeeLine:
    """One fee charged on a loan and where it stands."""

    id: int
    on: date
    note: str
    charged: Decimal
    paid: Decimal = ZERO
    waived: Decimal = ZERO
    written_off: Decimal = ZERO

    @property
    def left(self) -> Decimal:
        """What is still owed on it."""
        return self.charged - self.paid - self.waived - self.written_off


def waiver_key(loan_id: int, token: str) -> str:
    """A waiver's movement key: the loan, then the caller's key (or a random one)."""
    return f"waiver:{loan_id}:{token}"


def fee_lines(moves: Iterable[FeeMove]) -> list[FeeLine]:
    """Each fee with what was paid, waived and written off of it, from the loan's movements in
    the order they were recorded (the order each decision was taken in). A payment's fees go to
    the oldest fee dated on or before it first; what is over (a payment stored before fees were
    owed only from their date) goes to the next fees, so the lines always add up to the stored
    payments."""
    lines: dict[int, FeeLine] = {}
    for move in sorted(moves, key=lambda m: m.id):
        if move.kind == "fee":
            lines[move.id] = FeeLine(move.id, move.on, move.note, move.fees)
        elif move.kind in _PAYMENTS and move.fees:
            left = move.fees
            due = sorted(lines.values(), key=lambda f: (f.on > move.on, f.on, f.id))
            for line in due:
                taken = min(left, line.left)
                if taken > 0:
                    lines[line.id] = replace(line, paid=line.paid + taken)
                    left -= taken
        elif move.kind == WAIVER and move.waives in lines:
            line = lines[move.waives]
            lines[line.id] = replace(line, waived=line.waived + move.fees)
        elif move.kind == "charge_off":
            for line in list(lines.values()):
                lines[line.id] = replace(line, written_off=line.written_off + line.left)
    return sorted(lines.values(), key=lambda f: (f.on, f.id))


def read_reason(text: str) -> str:
    """Why a fee is waived: required, one line, at most MAX_REASON characters."""
    reason = " ".join(text.split())
    if not reason:
        raise LendingInputError("reason", "say why the fee is waived, e.g. 'first late "
                                "payment, goodwill'")  # fmt: skip
    if len(reason) > MAX_REASON:
        raise LendingInputError("reason", f"must be at most {MAX_REASON} characters "
                                f"(got {len(reason)})")  # fmt: skip
    if not reason.isprintable():
        raise LendingInputError("reason", "must be plain text, without control characters")
    return reason


@dataclass(frozen=True)
class Waiver:
    """A waiver that stands: how much of which fee, on which day, and why."""

    fee: FeeLine
    amount: Decimal
    on: date
    reason: str

    def note(self) -> str:
        """The movement's and the history's words."""
        whole = "" if self.amount < self.fee.left else " (all that was owed)"
        return (f"waived {self.amount:.2f} of fee {self.fee.id} ({self.fee.note[:80] or 'fee'}, "
                f"{self.fee.on.isoformat()}){whole}: {self.reason}")  # fmt: skip


def check_waiver(
    loan: tuple[int, str],
    fee: FeeLine,
    amount: Decimal | None,
    reason: str,
    on: date,
    *,
    last_payment: date | None,
    today: date,
) -> Waiver:
    """Whether a fee may be waived: an open loan (its id and status), something still owed on
    the fee and no more than that (None: all of it), a reason, and a day from the fee's own (and
    the last payment's, which counted the fee as owed) to today."""
    loan_id, status = loan
    if status != "open":
        raise Conflict("loan_id", f"loan {loan_id} is {status.replace('_', ' ')}: a closed "
                       "loan's fees can no longer be waived")  # fmt: skip
    if fee.left <= 0:
        raise Conflict("fee_id", f"fee {fee.id} is settled ({show_money(fee.charged)} charged, "
                       f"{show_money(fee.paid)} paid, {show_money(fee.waived)} waived): "
                       "nothing is left to waive")  # fmt: skip
    value = fee.left if amount is None else amount
    if value <= 0:
        raise LendingInputError("amount", f"must be above 0 (got {value})")
    if value > fee.left:
        raise LendingInputError("amount", f"{show_money(value)} is more than the "
                                f"{show_money(fee.left)} still owed on fee {fee.id}")  # fmt: skip
    why = read_reason(reason)
    if on < fee.on:
        raise LendingInputError("date", f"must not be before {fee.on.isoformat()}, the fee's "
                                "own date")  # fmt: skip
    if last_payment is not None and on < last_payment:
        raise LendingInputError("date", f"must not be before {last_payment.isoformat()}, the "
                                "loan's last payment, which counted the fee as owed")  # fmt: skip
    if on > today:
        raise LendingInputError("date", f"{on.isoformat()} is after today; record a waiver on "
                                "the day it is granted")  # fmt: skip
    return Waiver(fee, value, on, why)
