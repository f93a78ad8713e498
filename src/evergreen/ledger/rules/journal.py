"""Double-entry rules: account names, balanced transactions, reversals and what a leg counts as.

Accounts follow plain-text accounting (beancount, hledger): five roots, colon-separated
components that start with a capital letter or a digit. The stream is a tag on each posting,
not part of the account name, so renaming a stream never rewrites the journal.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from evergreen.ledger.errors import LedgerInputError

__all__ = [
    "ASSETS_PUT_IN",
    "BANK",
    "CAPITAL",
    "CAPITAL_ASSETS",
    "MAX_AMOUNT",
    "ROOTS",
    "Figure",
    "Leg",
    "check_account",
    "check_account_in",
    "check_balanced",
    "check_rollup_amount",
    "counted",
    "daily_figures",
    "daily_figures_many",
    "figure_of",
    "from_units",
    "is_capital_asset",
    "reversal_of",
    "to_units",
]

ROOTS = ("Assets", "Liabilities", "Equity", "Income", "Expenses")
BANK = "Assets:Bank"
CAPITAL = "Equity:Capital"
# What a stream owns besides money: an account under one of these, tagged with a stream, is
# capital employed in it. Every other Assets account (Assets:Bank, Assets:Cash, Assets:PayPal,
# Assets:Receivable, …) holds money — income not yet spent — and never counts.
CAPITAL_ASSETS = (
    "Assets:Equipment",
    "Assets:Inventory",
    "Assets:Loans",
    "Assets:Property",
    "Assets:Investments",
    "Assets:Fixed",
)
# The other side of an asset the owner puts in from their own pocket: the asset counts as
# capital, so this equity account does not (Equity:Capital would count it a second time).
ASSETS_PUT_IN = "Equity:Assets-Put-In"
# The daily rollup keeps money in ten-thousandths as 64-bit integers (up to 9.2 x 10^18): a
# posting under 10^12 leaves room for some 900 of the largest on one stream's day and in any
# period's sum, where 10^15 (what a Numeric column holds) overflowed with one.
MAX_AMOUNT = Decimal(10) ** 12
_COMPONENT = re.compile(r"^[A-Z0-9][A-Za-z0-9-]{0,60}$")


class Figure(StrEnum):
    """What a posting adds to a stream's figures."""

    INCOME = "income"
    COSTS = "costs"
    CAPITAL = "capital"


@dataclass(frozen=True, slots=True)
class Leg:
    """One posting before it is stored: account, signed amount, currency, stream tag."""

    account: str
    amount: Decimal
    currency: str
    stream_id: int | None = None


@lru_cache(maxsize=4096)  # a journal uses few accounts, posted millions of times
def check_account(name: str, field: str = "account") -> str:
    """An account name such as `Income:Royalties` or `Expenses:Hosting`."""
    parts = name.split(":")
    if parts[0] not in ROOTS or len(parts) < 2 or len(name) > 200:
        raise LedgerInputError(
            field,
            f"{name[:60]!r} is not an account; start with one of {', '.join(ROOTS)} and add a "
            "name, e.g. Income:Royalties",
        )
    for part in parts[1:]:
        if not _COMPONENT.match(part):
            raise LedgerInputError(
                field,
                f"{part[:60]!r} in {name[:60]!r} must start with a capital letter or digit and "
                "hold only letters, digits and dashes",
            )
    return name


_FAMILY = {"Income": ("income", "Income:Royalties"), "Expenses": ("cost", "Expenses:Hosting")}


def check_account_in(name: str, root: str, field: str = "account") -> str:
    """An account under `root` (Income for income, Expenses for a cost): income posted to
    Expenses:… would count as a negative cost, and the figure the owner added to stay as it was."""
    check_account(name, field)
    if name.split(":", 1)[0] != root:
        what, example = _FAMILY[root]
        raise LedgerInputError(
            field,
            f"{name[:60]!r} is not under {root}; a{'n' if what[0] in 'aeiou' else ''} {what} "
            f"goes to an account such as {example} (leave it blank for {root}:Other)",
        )
    return name


def check_rollup_amount(amount: Decimal, field: str = "amount") -> Decimal:
    """A posting's amount the daily rollup can add up (under MAX_AMOUNT either way)."""
    if not -MAX_AMOUNT < amount < MAX_AMOUNT:
        raise LedgerInputError(
            field,
            f"{abs(amount):,f} is too large: the ledger takes amounts under 1,000,000,000,000",
        )
    return amount


def check_balanced(legs: Sequence[Leg]) -> None:
    """Every currency's legs sum to zero, there are at least two, and none is zero."""
    if len(legs) < 2:
        raise LedgerInputError("postings", "a transaction needs at least two postings")
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for leg in legs:
        if leg.amount == 0:
            raise LedgerInputError("postings", f"the posting to {leg.account} is 0")
        sums[leg.currency] += leg.amount
    off = {currency: total for currency, total in sums.items() if total != 0}
    if off:
        shown = ", ".join(f"{total:+} {currency}" for currency, total in sorted(off.items()))
        raise LedgerInputError("postings", f"do not balance: they sum to {shown}, not 0")


def reversal_of(legs: Iterable[Leg]) -> list[Leg]:
    """The legs that undo a transaction: every amount negated, everything else kept."""
    return [Leg(leg.account, -leg.amount, leg.currency, leg.stream_id) for leg in legs]


@lru_cache(maxsize=4096)
def is_capital_asset(account: str) -> bool:
    """An account under CAPITAL_ASSETS (equipment, inventory, loans made, property,
    investments): what a stream owns besides money, so capital employed in it."""
    return any(account == a or account.startswith(a + ":") for a in CAPITAL_ASSETS)


@lru_cache(maxsize=4096)
def figure_of(account: str) -> Figure | None:
    """Income and Expenses accounts are income and costs; Equity:Capital (money put in or
    taken out) and the CAPITAL_ASSETS accounts (what the stream owns) are capital employed."""
    root = account.split(":", 1)[0]
    if root == "Income":
        return Figure.INCOME
    if root == "Expenses":
        return Figure.COSTS
    if account == CAPITAL or account.startswith(CAPITAL + ":") or is_capital_asset(account):
        return Figure.CAPITAL
    return None


def counted(account: str, amount: Decimal) -> Decimal:
    """What a posting adds to its figure: income and money put in are credits, so their sign
    is turned; costs and assets are debits, counted as posted. 0 for a posting in no figure."""
    figure = figure_of(account)
    if figure is None:
        return Decimal(0)
    if figure is Figure.COSTS or (figure is Figure.CAPITAL and is_capital_asset(account)):
        return amount
    return -amount


UNIT = Decimal("0.0001")


def to_units(amount: Decimal) -> int:
    """Money as whole ten-thousandths (amounts are stored with at most 4 places)."""
    return int(amount.scaleb(4).to_integral_value())


def from_units(units: int) -> Decimal:
    """Ten-thousandths back to money."""
    return Decimal(units).scaleb(-4)


def daily_figures(
    day: date, legs: Iterable[Leg]
) -> dict[tuple[int, date, str], tuple[Decimal, Decimal, Decimal, int]]:
    """What a transaction adds to the daily rollup: (income, costs, capital in, postings) by
    (stream, day, currency), each leg counted as `counted` says."""
    return daily_figures_many([(day, legs)])


def daily_figures_many(
    entries: Iterable[tuple[date, Iterable[Leg]]],
) -> dict[tuple[int, date, str], tuple[Decimal, Decimal, Decimal, int]]:
    """`daily_figures` of many transactions summed in one pass (a batch's rollup)."""
    sums: dict[tuple[int, date, str], list[Decimal]] = {}
    counts: dict[tuple[int, date, str], int] = {}
    zero = Decimal(0)
    for day, legs in entries:
        for leg in legs:
            figure = figure_of(leg.account)
            if leg.stream_id is None or figure is None:
                continue
            key = (leg.stream_id, day, leg.currency)
            row = sums.get(key)
            if row is None:
                row = sums[key] = [zero, zero, zero]
                counts[key] = 0
            if figure is Figure.INCOME:
                row[0] -= leg.amount
            elif figure is Figure.COSTS:
                row[1] += leg.amount
            else:
                row[2] += counted(leg.account, leg.amount)
            counts[key] += 1
    return {key: (row[0], row[1], row[2], counts[key]) for key, row in sums.items()}
