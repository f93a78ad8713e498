"""Payoff letters: the figures a letter states, the days a letter may be asked for, and the
wiring text split into lines. Plain values in and out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from evergreen.lending.errors import LendingInputError
from evergreen.lending.rules.book import PayoffQuote

__all__ = ["LETTER_DAYS_AHEAD", "PayoffLetter", "check_letter_day", "payoff_letter", "wire_lines"]

# How far ahead a borrower may ask a payoff letter for: further out, the per diem dominates.
LETTER_DAYS_AHEAD = 90
_NO_WIRE = "Call or write to us for wiring instructions before you send funds."


@dataclass(frozen=True)
class PayoffLetter:
    """What a payoff letter states: the loan, who owes it, each part owed on the payoff day,
    the per diem after it, and where to wire."""

    loan_id: int
    borrower: str
    collateral: str
    currency: str
    issued: date
    good_through: date
    principal: Decimal
    interest: Decimal
    default_interest: Decimal
    fees: Decimal
    per_diem: Decimal
    wire: tuple[str, ...]

    @property
    def total(self) -> Decimal:
        """The amount that pays the loan off if received by the good-through day."""
        return self.principal + self.interest + self.default_interest + self.fees

    def lines(self) -> list[tuple[str, Decimal]]:
        """The letter's table: each part owed, default interest only when there is some."""
        rows = [("Principal", self.principal),
                (f"Interest to {self.good_through.isoformat()}", self.interest)]  # fmt: skip
        if self.default_interest:
            rows.append(("Default interest", self.default_interest))
        rows.append(("Fees", self.fees))
        return rows


def wire_lines(text: str) -> tuple[str, ...]:
    """The wiring instructions as lines (newlines or ' | ' separate them); a sentence asking
    the borrower to call when there are none, so a letter never sends money nowhere."""
    lines = tuple(part.strip() for part in re.split(r"\n|\s\|\s", text) if part.strip())
    return lines or (_NO_WIRE,)


def check_letter_day(as_of: date, today: date, start: date, *, borrower: bool) -> date:
    """The payoff day a letter may be made for: not before the loan's start; a borrower's not
    in the past nor more than LETTER_DAYS_AHEAD days ahead (the owner may quote any day)."""
    if as_of < start:
        raise LendingInputError("as_of", f"must not be before the loan's start {start.isoformat()}")
    if borrower and as_of < today:
        raise LendingInputError("as_of", f"must be today ({today.isoformat()}) or later")
    if borrower and as_of > today + timedelta(days=LETTER_DAYS_AHEAD):
        raise LendingInputError(
            "as_of", f"must be within {LETTER_DAYS_AHEAD} days; ask again closer to the payoff"
        )
    return as_of


def payoff_letter(
    quote: PayoffQuote,
    *,
    loan_id: int,
    borrower: str,
    collateral: str,
    currency: str,
    issued: date,
    wire: str,
) -> PayoffLetter:
    """The letter for a payoff quote: its parts as quoted, good through the quote's day."""
    return PayoffLetter(
        loan_id, borrower, collateral, currency, issued, quote.as_of, quote.principal,
        quote.interest, quote.default_interest, quote.fees, quote.per_diem, wire_lines(wire),
    )  # fmt: skip
