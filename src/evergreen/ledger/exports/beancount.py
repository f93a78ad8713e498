"""The journal as a beancount file, so fava and bean-query read what Evergreen recorded.

Pure: plain values in, lines of text out. Streams are shown the beancount way: the stream is a
component of every Income, Expenses and Equity account (`Income:Blog:Other`), so fava's income
statement and balance sheet break down by stream; bank and other Assets/Liabilities accounts keep
their real name (one bank is one bank) and carry the stream as posting metadata. Every
transaction also carries a `stream:` metadata (when it has one stream) and one tag per stream.
A reversal and the entry it undoes share a link `^entry-<id>`, and the reversal says which entry
it reverses. Hours are `custom "hours"` directives (dated, with the stream's name, the hours and
the memo), which bean-query and fava list without turning time into money.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

__all__ = [
    "BeanEntry",
    "BeanHours",
    "BeanLeg",
    "Journal",
    "account_for",
    "header_lines",
    "journal_lines",
    "quoted",
    "stream_components",
]

# Roots whose accounts are split by stream; Assets and Liabilities keep their real names.
_BY_STREAM = ("Income", "Expenses", "Equity")
_WORD = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class BeanLeg:
    """One posting as stored: account, signed amount, currency and the stream's id, if any."""

    account: str
    amount: Decimal
    currency: str
    stream_id: int | None = None


@dataclass(frozen=True)
class BeanEntry:
    """One stored transaction and, when it was undone, the id of the entry that reversed it."""

    id: int
    date: date
    flag: str
    payee: str
    narration: str
    source: str
    source_key: str | None
    legs: Sequence[BeanLeg]
    reverses_id: int | None = None
    reversed_by: int | None = None


@dataclass(frozen=True)
class BeanHours:
    """Time the owner spent on a stream on one day."""

    date: date
    stream_id: int
    hours: Decimal
    memo: str = ""


def stream_components(streams: Iterable[tuple[int, str]]) -> dict[int, str]:
    """A beancount account component for each stream (id, name), in id order so it is stable.

    "my blog & co." becomes `MyBlogCo`; a name with no ASCII letter or digit becomes
    `Stream<id>`, and a second stream that would get a component already taken gets `-<id>`.
    """
    out: dict[int, str] = {}
    taken: set[str] = set()
    for stream_id, name in sorted(streams):
        words = _WORD.findall(name)
        component = "".join(word[:1].upper() + word[1:] for word in words)[:48]
        if not component:
            component = f"Stream{stream_id}"
        if component in taken:
            component = f"{component}-{stream_id}"
        taken.add(component)
        out[stream_id] = component
    return out


def account_for(account: str, stream: str | None) -> str:
    """The account a posting shows in beancount: the stream's component after the root of an
    Income, Expenses or Equity account (`Income:Other` of Blog is `Income:Blog:Other`)."""
    if stream is None:
        return account
    root, _, rest = account.partition(":")
    if root not in _BY_STREAM:
        return account
    return f"{root}:{stream}:{rest}" if rest else f"{root}:{stream}"


def quoted(text: str) -> str:
    """A beancount string: quotes and backslashes escaped, on one line."""
    flat = " ".join(text.split())
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _number(value: Decimal) -> str:
    """Two decimals, or the stored ones (up to four) when a value has fractions of a cent."""
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{value:.{places}f}"


def _component(components: Mapping[int, str], stream_id: int | None) -> str | None:
    return None if stream_id is None else components.get(stream_id, f"Stream{stream_id}")


class Journal:
    """Turns entries into beancount text and remembers, as it goes, which accounts and
    currencies they used and since when, so the `open` and `commodity` directives match exactly
    the entries written (beancount sorts directives by date, wherever they are in the file)."""

    def __init__(self, streams: Sequence[tuple[int, str]]) -> None:
        self.components = stream_components(streams)
        self.names = dict(streams)
        self.accounts: dict[str, tuple[date, set[str]]] = {}
        self.currencies: dict[str, date] = {}

    def _use(self, day: date, account: str, currency: str) -> None:
        first, seen = self.accounts.get(account, (day, set()))
        if currency not in seen or day < first:
            self.accounts[account] = (min(first, day), seen | {currency})
        if day < self.currencies.get(currency, date.max):
            self.currencies[currency] = day

    def transaction(self, entry: BeanEntry) -> Iterator[str]:
        """One transaction: header with flag, words, stream tags and link; metadata; postings."""
        names, components = self.names, self.components
        streams = sorted({leg.stream_id for leg in entry.legs if leg.stream_id is not None})
        tags = "".join(f" #{_component(components, s)}" for s in streams)
        links = ""
        if entry.reverses_id is not None:
            links = f" ^entry-{entry.reverses_id}"
        elif entry.reversed_by is not None:
            links = f" ^entry-{entry.id}"
        words = quoted(entry.narration)
        if entry.payee:
            words = f"{quoted(entry.payee)} {words}"
        yield f"{entry.date.isoformat()} {entry.flag} {words}{tags}{links}"
        yield f"  entry: {entry.id}"
        yield f"  source: {quoted(entry.source)}"
        if entry.source_key:
            yield f"  source-key: {quoted(entry.source_key)}"
        if len(streams) == 1:
            yield f"  stream: {quoted(names.get(streams[0], ''))}"
        if entry.reverses_id is not None:
            yield f"  reverses: {entry.reverses_id}"
        if entry.reversed_by is not None:
            yield f"  reversed-by: {entry.reversed_by}"
        for leg in entry.legs:
            account = account_for(leg.account, _component(components, leg.stream_id))
            self._use(entry.date, account, leg.currency)
            yield f"  {account}  {_number(leg.amount)} {leg.currency}"
            if leg.stream_id is not None and account == leg.account:
                yield f"    stream: {quoted(names.get(leg.stream_id, ''))}"
        yield ""

    def hours(self, item: BeanHours) -> str:
        """Time as a `custom "hours"` directive: the stream's name, the hours, the memo."""
        words = f" {quoted(item.memo)}" if item.memo.strip() else ""
        stream = quoted(self.names.get(item.stream_id, f"Stream{item.stream_id}"))
        return f'{item.date.isoformat()} custom "hours" {stream} {_number(item.hours)}{words}'

    def openings(self) -> Iterator[str]:
        """`commodity` per currency and `open` per account (with its currencies), each dated at
        its first use by the transactions written so far."""
        currencies = sorted(self.currencies.items(), key=lambda item: (item[1], item[0]))
        for currency, first in currencies:
            yield f"{first.isoformat()} commodity {currency}"
        if currencies:
            yield ""
        accounts = sorted(self.accounts.items(), key=lambda item: (item[1][0], item[0]))
        for name, (first, seen) in accounts:
            yield f"{first.isoformat()} open {name} {','.join(sorted(seen))}"
        if accounts:
            yield ""


def header_lines(title: str, operating_currency: str) -> Iterator[str]:
    """The file's opening comment and options."""
    yield f"; {title}: the whole journal exported by Evergreen. Check it with `bean-check`."
    yield "; Streams are account components (Income:<Stream>:...), a `stream:` metadata and tags;"
    yield '; hours are `custom "hours"` directives; reversals share a ^entry-<id> link.'
    yield ""
    yield f"option {quoted('title')} {quoted(title)}"
    yield f"option {quoted('operating_currency')} {quoted(operating_currency)}"
    yield ""


def journal_lines(
    *,
    title: str,
    operating_currency: str,
    streams: Sequence[tuple[int, str]],
    entries: Iterable[BeanEntry],
    hours: Iterable[BeanHours] = (),
) -> list[str]:
    """The whole file in memory, line by line (without newlines): for small journals and tests;
    exports stream entries through `Journal` instead."""
    journal = Journal(streams)
    body = [line for entry in entries for line in journal.transaction(entry)]
    return [
        *header_lines(title, operating_currency),
        *journal.openings(),
        *body,
        *(journal.hours(item) for item in hours),
    ]
