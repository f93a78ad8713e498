"""Saved payee rules: which stream and account a bank row belongs to, and each row's import key.

A rule's pattern is a case-insensitive substring of the row's payee and description, or a
regular expression when the owner says so. The rule with the highest priority that matches
wins; among equal priorities the older rule (lower id) wins, so adding a rule never changes
what an older one of the same priority decided.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.rules.journal import Figure, check_account, figure_of

__all__ = [
    "MAX_PRIORITY",
    "Matcher",
    "RowKeys",
    "RuleSpec",
    "check_pattern",
    "check_priority",
    "check_rule_account",
    "kind_of",
    "row_content",
    "row_key",
]

MAX_PATTERN = 200
MAX_PRIORITY = 1_000_000


@dataclass(frozen=True)
class RuleSpec:
    """A saved rule as plain values."""

    id: int
    pattern: str
    regex: bool
    stream_id: int
    account: str
    priority: int = 0


def check_pattern(pattern: str, regex: bool) -> str:
    """A pattern to match: 1-200 characters; a regular expression must compile."""
    text = pattern.strip()
    if not text:
        raise LedgerInputError("pattern", "is empty; give a word of the payee, e.g. 'Amazon'")
    if len(text) > MAX_PATTERN:
        raise LedgerInputError("pattern", f"is {len(text)} characters long; the limit is 200")
    if regex:
        try:
            re.compile(text, re.IGNORECASE)
        except re.error as exc:
            raise LedgerInputError(
                "pattern", f"{text[:60]!r} is not a regular expression: {exc}"
            ) from None
    return text


def check_priority(value: int | str) -> int:
    """A whole number between -1,000,000 and 1,000,000; higher wins."""
    try:
        number = int(str(value).strip())
    except ValueError:
        raise LedgerInputError("priority", f"{str(value)[:20]!r} is not a whole number") from None
    if abs(number) > MAX_PRIORITY:
        raise LedgerInputError("priority", "must be between -1000000 and 1000000")
    return number


def check_rule_account(account: str, bank_account: str | None = None) -> str:
    """The other side of a bank row: any account but the bank account itself."""
    name = check_account(account.strip())
    if name == bank_account:
        raise LedgerInputError("account", f"{name} is the bank account being imported")
    return name


def kind_of(account: str) -> str:
    """What a row posted to `account` is, in the owner's words: income, cost, capital or
    transfer (money between own accounts); a refund shows as negative income or cost."""
    figure = figure_of(account)
    if figure is Figure.INCOME:
        return "income"
    if figure is Figure.COSTS:
        return "cost"
    if figure is Figure.CAPITAL:
        return "capital"
    return "transfer"


class Matcher:
    """The saved rules, ordered once, matched against many rows."""

    def __init__(self, rules: Iterable[RuleSpec]) -> None:
        ordered = sorted(rules, key=lambda rule: (-rule.priority, rule.id))
        self._rules = [
            (rule, re.compile(rule.pattern, re.IGNORECASE).search if rule.regex else None,
             rule.pattern.casefold())
            for rule in ordered
        ]  # fmt: skip

    def match(self, payee: str, description: str) -> RuleSpec | None:
        """The winning rule for a row, or None when no rule matches."""
        text = f"{payee} {description}" if payee else description
        folded = text.casefold()
        for rule, search, needle in self._rules:
            if (search(text) is not None) if search is not None else (needle in folded):
                return rule
        return None


def row_content(
    bank_account: str, day: date, amount: Decimal, currency: str | None, payee: str,
    description: str,
) -> str:  # fmt: skip
    """What identifies a bank row, whichever file it came in: account, date, amount, words."""
    return "\x1f".join(
        (bank_account, day.isoformat(), f"{amount.normalize():f}", currency or "", payee,
         description)
    )  # fmt: skip


def row_key(content: str, occurrence: int) -> str:
    """The journal's source_key of a row: its content's hash and how many identical rows came
    before it in the file, so two equal coffees on one day are two entries, once each."""
    digest = hashlib.sha256(f"{content}\x1f{occurrence}".encode()).hexdigest()[:40]
    return f"bank:{digest}"


class RowKeys:
    """Each row's `row_key` in file order, counting equal rows as it goes: one hash per row (the
    first occurrence's, whose leading bytes also count the repeats, deterministically across
    runs), a second only for a row that repeats an earlier one."""

    def __init__(self) -> None:
        self._seen: dict[bytes, int] = {}

    def key(self, content: str) -> str:
        """The key of the next row with this content."""
        digest = hashlib.sha256(f"{content}\x1f1".encode()).digest()
        marker = digest[:8]
        count = self._seen.get(marker, 0) + 1
        self._seen[marker] = count
        return f"bank:{digest[:20].hex()}" if count == 1 else row_key(content, count)
