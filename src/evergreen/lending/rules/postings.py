"""What each money movement of a loan posts to the ledger, under the loan's stream.

Principal lent is capital employed (Assets:Loans, one of the ledger's capital assets); interest,
default interest, points, fees and recoveries are income; a charge-off is a loss. Fees are
income when charged (owed in Assets:Receivable:Lending until paid); interest when received. A
fee waived is the reversal of its charge's legs for the part waived, on the waiver's day, so
fee income counts only what the borrower still owes or paid.
"""

from __future__ import annotations

from decimal import Decimal

from evergreen.lending.rules.amounts import ZERO

__all__ = [
    "BANK",
    "DEFAULT_INTEREST",
    "FEES",
    "INTEREST",
    "LOANS",
    "LOSSES",
    "POINTS",
    "RECEIVABLE",
    "RECOVERIES",
    "legs_of",
]

BANK = "Assets:Bank"
LOANS = "Assets:Loans:Principal"
RECEIVABLE = "Assets:Receivable:Lending"
INTEREST = "Income:Lending:Interest"
DEFAULT_INTEREST = "Income:Lending:Default-Interest"
POINTS = "Income:Lending:Points"
FEES = "Income:Lending:Fees"
RECOVERIES = "Income:Lending:Recoveries"
LOSSES = "Expenses:Lending:Losses"


def legs_of(
    kind: str,
    *,
    amount: Decimal,
    principal: Decimal = ZERO,
    interest: Decimal = ZERO,
    default_interest: Decimal = ZERO,
    fees: Decimal = ZERO,
    points: Decimal = ZERO,
) -> list[tuple[str, Decimal]]:
    """(account, signed amount) legs of a movement, debits positive; zero legs left out."""
    legs: list[tuple[str, Decimal]]
    if kind in ("funding", "draw"):  # cash out; financed points owed as principal, earned now
        legs = [(LOANS, principal), (BANK, -amount), (POINTS, -points)]
    elif kind == "closing":  # points and fees paid by the borrower at closing
        legs = [(BANK, amount), (POINTS, -points), (FEES, -fees)]
    elif kind == "fee":
        legs = [(RECEIVABLE, fees), (FEES, -fees)]
    elif kind == "fee_waiver":  # the fee's legs reversed, for the part waived
        legs = [(FEES, fees), (RECEIVABLE, -fees)]
    elif kind in ("payment", "payoff"):
        legs = [(BANK, amount), (RECEIVABLE, -fees), (DEFAULT_INTEREST, -default_interest),
                (INTEREST, -interest), (LOANS, -principal)]  # fmt: skip
    elif kind == "charge_off":
        legs = [(LOSSES, principal + fees), (LOANS, -principal), (RECEIVABLE, -fees)]
    elif kind == "recovery":
        legs = [(BANK, amount), (RECOVERIES, -amount)]
    else:
        raise ValueError(f"no postings for a {kind!r} movement")
    return [(account, value) for account, value in legs if value != 0]
