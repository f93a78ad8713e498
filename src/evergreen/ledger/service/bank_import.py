"""Bank and processor CSV imports: a preview of what each row becomes, then posting it once.

Rows are read as a stream and handled in batches of 20,000: one query per 900 keys to see what
an earlier import posted, and one `post_many` per batch, so a million rows take no query per
row. A row's key is the hash of what it says (account, date, amount, words) and how many equal
rows came before it in the file: importing the same file again, or an overlapping statement,
posts nothing twice. Rows no rule matches are left unposted and listed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import serialize_on
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import Stream
from evergreen.ledger.rules import BANK, Leg, check_account
from evergreen.ledger.rules.bank_csv import BankRow, CsvOptions, RowError, read_bank_csv
from evergreen.ledger.rules.import_rules import Matcher, RowKeys, kind_of, row_content
from evergreen.ledger.service.import_rules import rule_specs
from evergreen.ledger.service.journal import EntryDraft, post_many, stored_keys

__all__ = ["BATCH", "ImportResult", "RowOutcome", "import_bank_csv"]

BATCH = 20_000
_SHOWN = 200
_ERRORS_KEPT = 100
NO_RULE = "no rule matched"
ALREADY = "posted already"
NEW = "new"
_ZERO = Decimal(0)


@dataclass(frozen=True)
class RowOutcome:
    """What one row becomes: its stream, account and kind, or why it is left out."""

    line: int
    date: str
    payee: str
    description: str
    amount: Decimal
    currency: str
    stream: str | None
    account: str | None
    kind: str | None
    status: str


@dataclass
class ImportResult:
    """A preview (counts, totals per stream and account, the first rows and the rows no rule
    matched), or what an import posted (the counts)."""

    posted: bool = False
    rows: int = 0
    new: int = 0
    already: int = 0
    unmatched: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    shown: list[RowOutcome] = field(default_factory=list)
    unmatched_shown: list[RowOutcome] = field(default_factory=list)
    # (stream, account, kind, currency) -> (rows, total) of the rows that post (or did)
    totals: dict[tuple[str, str, str, str], tuple[int, Decimal]] = field(default_factory=dict)


class _Planned(NamedTuple):
    row: BankRow
    stream_id: int | None
    stream: str | None
    account: str | None
    currency: str
    key: str | None


class _Planner:
    """Matches bank rows with the saved rules and keys them (no query per row)."""

    def __init__(self, session: Session, bank_account: str) -> None:
        self.bank = bank_account
        self.matcher = Matcher(rule_specs(session))
        self.streams = {s.id: (s.name, s.currency) for s in session.scalars(select(Stream))}
        self.keys = RowKeys()

    def plan(self, row: BankRow) -> _Planned:
        content = row_content(self.bank, row.date, row.amount, row.currency, row.payee,
                              row.description)  # fmt: skip
        # every row is counted, matched or not, so a row's key never depends on the rules
        key = self.keys.key(content)
        rule = self.matcher.match(row.payee, row.description)
        if rule is None:
            return _Planned(row, None, None, None, row.currency or "", None)
        name, currency = self.streams[rule.stream_id]
        if row.currency is not None and row.currency != currency:
            raise LedgerInputError(
                "currency", f"{row.currency} cannot go to {name}, a {currency} stream (rule "
                f"{rule.pattern!r}); convert it or change the rule"
            )  # fmt: skip
        return _Planned(row, rule.stream_id, name, rule.account, currency, key)

    def draft(self, plan: _Planned) -> EntryDraft:
        """The transaction a matched row posts: the bank account against the rule's account."""
        row, stream_id, currency = plan.row, plan.stream_id, plan.currency
        legs = (Leg(self.bank, row.amount, currency, stream_id),
                Leg(plan.account or "", -row.amount, currency, stream_id))  # fmt: skip
        return EntryDraft(row.date, legs, row.description, row.payee, "*", "import", plan.key)


def _batches(items: Iterable[BankRow | RowError], size: int) -> Iterator[list[BankRow | RowError]]:
    source = iter(items)
    while batch := list(islice(source, size)):
        yield batch


class _Tally:
    """Counts and totals of a run, and the first rows of each kind to show."""

    def __init__(self, result: ImportResult) -> None:
        self.result = result
        self.kinds: dict[str, str] = {}

    def kind(self, account: str) -> str:
        found = self.kinds.get(account)
        if found is None:
            found = self.kinds[account] = kind_of(account)
        return found

    def note(self, item: _Planned, status: str) -> None:
        result = self.result
        if status == NO_RULE:
            result.unmatched += 1
            if len(result.unmatched_shown) < _SHOWN:
                result.unmatched_shown.append(self.outcome(item, status))
        elif status == ALREADY:
            result.already += 1
        else:
            result.new += 1
            key = (item.stream or "", item.account or "", self.kind(item.account or ""),
                   item.currency)  # fmt: skip
            count, total = result.totals.get(key, (0, _ZERO))
            result.totals[key] = (count + 1, total + item.row.amount)
        if len(result.shown) < _SHOWN:
            result.shown.append(self.outcome(item, status))

    def outcome(self, item: _Planned, status: str) -> RowOutcome:
        row = item.row
        kind = self.kind(item.account) if item.account else None
        return RowOutcome(row.line, row.date.isoformat(), row.payee, row.description, row.amount,
                          item.currency, item.stream, item.account, kind, status)  # fmt: skip


def import_bank_csv(
    session: Session,
    lines: Iterable[str],
    *,
    bank_account: str = BANK,
    options: CsvOptions | None = None,
    post: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Preview a bank CSV (`post=False`: nothing is written) or post it.

    Posting refuses the whole file at its first unreadable row (LedgerInputError naming the line
    and field; the caller's transaction then stores nothing); a preview lists those rows instead.
    """
    bank = check_account(bank_account.strip(), "account")
    if not bank.startswith(("Assets:", "Liabilities:")):
        raise LedgerInputError("account", f"{bank} is not a bank or card account (Assets:… or "
                               "Liabilities:…)")  # fmt: skip
    if post:
        # Imports post one after another: an overlapping one running at the same moment would
        # find none of the other's rows stored yet and meet their keys when it posts them.
        serialize_on(session, "ledger-bank-import")
    planner = _Planner(session, bank)
    result = ImportResult(posted=post)
    tally = _Tally(result)
    for batch in _batches(read_bank_csv(lines, options), BATCH):
        planned: list[_Planned] = []
        for item in batch:
            if isinstance(item, RowError):
                _refused(result, item, post)
                continue
            try:
                planned.append(planner.plan(item))
            except LedgerInputError as exc:
                _refused(result, RowError(item.line, exc.field, exc.message), post)
        result.rows += len(batch)
        if post:
            _post_batch(session, planner, planned, tally)
        else:
            stored = stored_keys(session, [p.key for p in planned if p.key is not None])
            for plan in planned:
                status = NO_RULE if plan.key is None else ALREADY if plan.key in stored else NEW
                tally.note(plan, status)
        if progress is not None:
            progress(result.rows)
    return result


def _post_batch(
    session: Session, planner: _Planner, planned: list[_Planned], tally: _Tally
) -> None:
    """Post a batch's matched rows; post_many skips those an earlier import posted."""
    drafts = [planner.draft(plan) for plan in planned if plan.key is not None]
    tally.result.unmatched += len(planned) - len(drafts)
    posted = post_many(session, drafts) if drafts else 0
    tally.result.new += posted
    tally.result.already += len(drafts) - posted


def _refused(result: ImportResult, error: RowError, post: bool) -> None:
    if post:
        raise LedgerInputError(f"line {error.line}: {error.field}", error.message)
    result.error_count += 1
    if len(result.errors) < _ERRORS_KEPT:
        result.errors.append(error)
