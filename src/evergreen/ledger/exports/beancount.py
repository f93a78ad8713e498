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
    "AccountUse",
    "BeanEntry",
    "BeanHours",
    "BeanLeg",
    "account_for",
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


@dataclass(frozen=True)
class AccountUse:
    """An account (as stored), the stream it was posted for, a currency and its first day."""

    account: str
    stream_id: int | None
    currency: str
    first: date


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


def _header(title: str, operating_currency: str) -> Iterator[str]:
    yield f"; {title}: the whole journal exported by Evergreen. Check it with `bean-check`."
    yield "; Streams are account components (Income:<Stream>:...), a `stream:` metadata and tags;"
    yield '; hours are `custom "hours"` directives; reversals share a ^entry-<id> link.'
    yield ""
    yield f"option {quoted('title')} {quoted(title)}"
    yield f"option {quoted('operating_currency')} {quoted(operating_currency)}"
    yield ""


def _opens(uses: Iterable[AccountUse], components: Mapping[int, str]) -> Iterator[str]:
    """`commodity` per currency and `open` per account, each dated at its first use."""
    currencies: dict[str, date] = {}
    accounts: dict[str, tuple[date, set[str]]] = {}
    for use in uses:
        shown = account_for(use.account, _component(components, use.stream_id))
        first, seen = accounts.get(shown, (use.first, set()))
        accounts[shown] = (min(first, use.first), seen | {use.currency})
        currencies[use.currency] = min(currencies.get(use.currency, use.first), use.first)
    for currency, first in sorted(currencies.items(), key=lambda item: (item[1], item[0])):
        yield f"{first.isoformat()} commodity {currency}"
    if currencies:
        yield ""
    for name, (first, seen) in sorted(accounts.items(), key=lambda item: (item[1][0], item[0])):
        yield f"{first.isoformat()} open {name} {','.join(sorted(seen))}"
    if accounts:
        yield ""


def _component(components: Mapping[int, str], stream_id: int | None) -> str | None:
    return None if stream_id is None else components.get(stream_id, f"Stream{stream_id}")


def _transaction(
    entry: BeanEntry, components: Mapping[int, str], names: Mapping[int, str]
) -> Iterator[str]:
    streams = sorted({leg.stream_id for leg in entry.legs if leg.stream_id is not None})
    tags = "".join(f" #{_component(components, s)}" for s in streams)
    links = ""
    if entry.reverses_id is not None:
        links = f" ^entry-{entry.reverses_id}"
    elif entry.reversed_by is not None:
        links = f" ^entry-{entry.id}"
    words = f"{quoted(entry.payee)} {quoted(entry.narration)}" if entry.payee else (
        quoted(entry.narration)
    )  # fmt: skip
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
        component = _component(components, leg.stream_id)
        account = account_for(leg.account, component)
        yield f"  {account}  {_number(leg.amount)} {leg.currency}"
        if leg.stream_id is not None and account == leg.account:
            yield f"    stream: {quoted(names.get(leg.stream_id, ''))}"
    yield ""


def journal_lines(
    *,
    title: str,
    operating_currency: str,
    streams: Sequence[tuple[int, str]],
    uses: Iterable[AccountUse],
    entries: Iterable[BeanEntry],
    hours: Iterable[BeanHours] = (),
) -> Iterator[str]:
    """The beancount file, line by line (without newlines), entries in the order given."""
    components = stream_components(streams)
    names = dict(streams)
    yield from _header(title, operating_currency)
    yield from _opens(uses, components)
    for entry in entries:
        yield from _transaction(entry, components, names)
    for item in hours:
        words = f" {quoted(item.memo)}" if item.memo.strip() else ""
        stream = quoted(names.get(item.stream_id, f"Stream{item.stream_id}"))
        yield f'{item.date.isoformat()} custom "hours" {stream} {_number(item.hours)}{words}'
