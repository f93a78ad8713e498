"""Bank and payment-processor CSV files read row by row: columns given or guessed from the header,
dates and decimal marks decided from the file itself, every refusal naming its line and field.

Streaming: a million-row file is read once, holding only the first rows (to decide the date order
and the decimal mark) and never the whole file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import chain, islice
from typing import NamedTuple

from evergreen.errors import InputError
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.rules.inputs import is_control
from evergreen.money import read_amount

__all__ = [
    "DATE_ORDERS",
    "FIELDS",
    "BankRow",
    "Columns",
    "CsvOptions",
    "RowError",
    "guess_columns",
    "read_bank_csv",
]

FIELDS = ("date", "description", "payee", "amount", "debit", "credit", "currency")
DATE_ORDERS = ("YMD", "DMY", "MDY")
_SAMPLE_ROWS = 1000
_HEADER_SEARCH = 30
_CACHED_DATES = 20_000
_DELIMITERS = (",", ";", "\t", "|")
# Header words banks and processors use for each field, lower case (first match wins).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": ("date", "transaction date", "booking date", "posted date", "posting date",
             "value date", "created (utc)", "created", "created date", "buchungstag", "datum",
             "valuta", "fecha", "data", "date opération"),
    "payee": ("payee", "counterparty", "merchant", "name", "beneficiary", "customer name",
              "empfänger", "auftraggeber", "beguenstigter/zahlungspflichtiger"),
    "description": ("description", "details", "memo", "narrative", "transaction description",
                    "reference", "text", "buchungstext", "verwendungszweck", "concepto",
                    "libellé", "particulars", "note", "notes"),
    "amount": ("amount", "net", "value", "betrag", "importe", "montant", "amount (usd)",
               "transaction amount"),
    "debit": ("debit", "debit amount", "withdrawal", "withdrawals", "paid out", "money out",
              "outflow", "soll", "débit"),
    "credit": ("credit", "credit amount", "deposit", "deposits", "paid in", "money in",
               "inflow", "haben", "crédit"),
    "currency": ("currency", "ccy", "währung", "waehrung", "devise", "moneda"),
}  # fmt: skip
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?$")
_NUMERIC = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4})(?:[T ].*)?$")
_NAMED = re.compile(r"^(\d{1,2})[ -]([A-Za-z]{3})[A-Za-z]*\.?[ -](\d{4})$")
_NAMED_US = re.compile(r"^([A-Za-z]{3})[A-Za-z]*\.? (\d{1,2}),? (\d{4})$")
_LETTERS = re.compile(r"^[A-Z]{3}$")
_CODE = re.compile(r"(?:^([A-Z]{3})\s*)|(?:\s*([A-Z]{3})$)")
_SYMBOLS = str.maketrans("", "", "$€£¥₹₽₩₺")
_PLAIN_POINT = re.compile(r"^-?[0-9]{1,15}(?:\.[0-9]{1,4})?$")
_PLAIN_COMMA = re.compile(r"^-?[0-9]{1,15}(?:,[0-9]{1,4})?$")
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-"})


@dataclass(frozen=True)
class Columns:
    """Which header carries each field: a date, words, and an amount or debit/credit columns."""

    date: str
    description: str
    payee: str | None = None
    amount: str | None = None
    debit: str | None = None
    credit: str | None = None
    currency: str | None = None


@dataclass(frozen=True)
class CsvOptions:
    """What the owner says about a file; anything left None is decided from the file."""

    columns: Mapping[str, str] | None = None
    date_order: str | None = None
    decimal_mark: str | None = None


class BankRow(NamedTuple):
    """One money movement: + came into the account, - went out (a tuple: a million are made)."""

    line: int
    date: date
    payee: str
    description: str
    amount: Decimal
    currency: str | None


@dataclass(frozen=True)
class RowError:
    """A row that cannot be read, and why."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


def _plain(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").strip().lower().split())


def guess_columns(header: Sequence[str]) -> Columns:
    """Columns named by common bank and processor headers, or an error naming what is missing."""
    names = {_plain(cell): cell for cell in header}
    found: dict[str, str] = {}
    for field, words in _SYNONYMS.items():
        for word in words:
            if word in names and names[word] not in found.values():
                found[field] = names[word]
                break
    return _columns(found, header)


def _columns(found: Mapping[str, str], header: Sequence[str]) -> Columns:
    shown = ", ".join(repr(cell) for cell in header if cell.strip())[:300]
    if "date" not in found:
        raise LedgerInputError("columns", f"no date column among {shown}; map one, e.g. date=Date")
    if "description" not in found and "payee" not in found:
        raise LedgerInputError(
            "columns", f"no description or payee column among {shown}; map one, e.g. "
            "description=Details"
        )  # fmt: skip
    if "amount" not in found and "debit" not in found and "credit" not in found:
        raise LedgerInputError(
            "columns", f"no amount (or debit/credit) column among {shown}; map one, e.g. "
            "amount=Amount"
        )  # fmt: skip
    return Columns(
        date=found["date"],
        description=found.get("description", found.get("payee", "")),
        payee=found.get("payee") if "description" in found else None,
        amount=found.get("amount"),
        debit=found.get("debit") if "amount" not in found else None,
        credit=found.get("credit") if "amount" not in found else None,
        currency=found.get("currency"),
    )


def _mapped(mapping: Mapping[str, str], header: Sequence[str]) -> Columns:
    """The owner's mapping, checked against the header (headers match ignoring case)."""
    names = {_plain(cell): cell for cell in header}
    found: dict[str, str] = {}
    for field, name in mapping.items():
        if field not in FIELDS:
            raise LedgerInputError("columns", f"{field!r} is not a field; use {', '.join(FIELDS)}")
        if _plain(name) not in names:
            raise LedgerInputError("columns", f"{field}: the file has no column {name!r}")
        found[field] = names[_plain(name)]
    return _columns(found, header)


def _find_header(head: list[str], options: CsvOptions) -> tuple[str, int, Columns]:
    """The delimiter, the header's row index and its columns, from the file's first lines."""
    problem: LedgerInputError | None = None
    for delimiter in _DELIMITERS:
        for index, row in enumerate(_csv_rows(csv.reader(head, delimiter=delimiter))):
            if isinstance(row, LedgerInputError):
                problem = problem or row
                break  # the rest of the head cannot be read with this delimiter
            if len(row) < 2:
                continue
            try:
                if options.columns:
                    return delimiter, index, _mapped(options.columns, row)
                return delimiter, index, guess_columns(row)
            except LedgerInputError as exc:
                problem = problem or exc
    if problem is not None:
        raise problem
    raise LedgerInputError("file", "has no header row with a date and an amount column")


def _csv_rows(reader: Iterator[list[str]]) -> Iterator[list[str] | LedgerInputError]:
    """The reader's rows, then — if the csv module refuses a line (a field past its 131,072
    characters, a quote never closed) — the refusal as an error naming the line, and no more."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = getattr(reader, "line_num", 0)
            yield LedgerInputError("file", f"line {line} is not valid CSV ({exc})")
            return
        yield row


def _valid_rows(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    """The reader's rows; a line the csv module refuses stops the whole file as an error, since
    nothing after it can be trusted to be where it seems."""
    for row in _csv_rows(reader):
        if isinstance(row, LedgerInputError):
            raise row
        yield row


def _date_parts(text: str) -> tuple[str, int, int, int] | None:
    """(shape, first, second, year) of a date, the shape saying how to order its numbers."""
    if match := _ISO.match(text):
        return "YMD", int(match[2]), int(match[3]), int(match[1])
    if match := _NUMERIC.match(text):
        shape = "DMY" if match[2] == "." else "AB"  # 05.01.2026 is always day first
        return shape, int(match[1]), int(match[3]), int(match[4])
    if match := _NAMED.match(text):
        month = _MONTHS.get(match[2].lower())
        return ("DMY", int(match[1]), month, int(match[3])) if month else None
    if match := _NAMED_US.match(text):
        month = _MONTHS.get(match[1].lower())
        return ("DMY", int(match[2]), month, int(match[3])) if month else None
    return None


def _decide_order(samples: Iterable[str]) -> str | None:
    """Day or month first for dates like 01/02/2026: a day over 12 in the file tells."""
    day_first = month_first = False
    for text in samples:
        parts = _date_parts(text.strip())
        if parts is None or parts[0] != "AB":
            continue
        day_first = day_first or parts[1] > 12
        month_first = month_first or parts[2] > 12
    if day_first and month_first:
        raise LedgerInputError(
            "date", "the file mixes day-first and month-first dates; say which with a date order"
        )
    return "DMY" if day_first else "MDY" if month_first else None


def _read_date(text: str, order: str | None) -> date:
    parts = _date_parts(text.strip())
    if parts is None:
        raise LedgerInputError(
            "date", f"{text[:40]!r} is not a date like 2026-01-31, 31.01.2026 or 01/31/2026"
        )
    shape, first, second, year = parts
    if shape == "AB":
        if order is None:
            raise LedgerInputError(
                "date", f"{text!r} could be day/month or month/day; give the date order DMY or MDY"
            )
        shape = order
    day, month = (second, first) if shape == "MDY" else (first, second)
    if shape == "YMD":
        month, day = first, second
    try:
        value = date(year, month, day)
    except ValueError:
        raise LedgerInputError("date", f"{text[:40]!r} is not a day of the calendar") from None
    if not _FIRST_DAY <= value <= _LAST_DAY:  # the days the journal's API takes, too
        raise LedgerInputError("date", f"{value} is outside {_FIRST_DAY} to {_LAST_DAY}")
    return value


_FIRST_DAY, _LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


def _decide_mark(samples: Iterable[str]) -> str | None:
    """The decimal mark the file uses, when some amount shows it: 1,234.50 and 12,50 do, and
    1.234.567 says the point groups thousands; 1,234 alone says nothing."""
    votes: set[str] = set()
    for text in samples:
        digits = re.sub(r"[^0-9.,]", "", text)
        marks = [ch for ch in digits if ch in ".,"]
        if not marks:
            continue
        last = marks[-1]
        if len(set(marks)) == 2:
            votes.add(last)
        elif marks.count(last) > 1:
            votes.add("." if last == "," else ",")
        elif len(digits) - digits.rfind(last) - 1 != 3:
            votes.add(last)
    return votes.pop() if len(votes) == 1 else None


def _signed(field: str, text: str, mark: str | None) -> tuple[Decimal, str | None]:
    """A signed amount and the currency code written beside it: -12.50, (12.50), 12.50-,
    €12,50, 12.50 EUR, 12.50 DR."""
    if mark != "," and _PLAIN_POINT.match(text):  # the usual -12.50, read without detours
        return Decimal(text), None
    if mark == "," and _PLAIN_COMMA.match(text):
        return Decimal(text.replace(",", ".")), None
    value = text.strip().translate(_MINUS)
    negative = False
    upper = value.upper()
    if upper.endswith((" CR", " DR")):
        negative, value = upper.endswith(" DR"), value[:-3]
    code = None
    if match := _CODE.search(value):
        code = match[1] or match[2]
        value = value[: match.start()] + value[match.end() :]
    value = value.translate(_SYMBOLS).strip()
    if value.startswith("(") and value.endswith(")"):
        negative, value = not negative, value[1:-1].strip()
    if value.startswith(("-", "+")):
        negative, value = (not negative if value[0] == "-" else negative), value[1:].strip()
    elif value.endswith("-"):
        negative, value = not negative, value[:-1].strip()
    try:
        amount = read_amount(field, value, decimal_mark=mark)
    except InputError as exc:
        raise LedgerInputError(field, exc.message) from None
    return (-amount if negative else amount), code


def _narration(cell: str) -> str:
    """A payee or description as the ledger shows it: runs of spaces, tabs and line breaks made
    one space, and control characters and direction marks (U+202E shows the text reversed)
    dropped. The bank wrote it, not the owner, so the row is kept rather than refused."""
    words = " ".join(cell.split())
    if words.isprintable():  # nearly every cell: nothing to drop
        return words
    return " ".join("".join(ch for ch in words if not is_control(ch)).split())


class _Reader:
    """Turns raw rows into BankRows once the date order and decimal mark are known: the hot
    loop of an import, so each cell is taken by its index and nothing per row is built twice."""

    def __init__(self, header: Sequence[str], columns: Columns, order: str | None,
                 mark: str | None) -> None:  # fmt: skip
        index = {name: i for i, name in reversed(list(enumerate(header)))}
        self.at = {field: index[name] for field, name in vars(columns).items() if name}
        self.order, self.mark = order, mark
        self.dates: dict[str, date] = {}
        at = self.at
        # -1 stands for a column the file does not have (its cell reads as "")
        self.date_at, self.words_at = at["date"], at["description"]
        self.payee_at, self.currency_at = at.get("payee", -1), at.get("currency", -1)
        self.amount_at = at.get("amount", -1)
        self.debit_at, self.credit_at = at.get("debit", -1), at.get("credit", -1)
        # a row at least this long has every mapped cell; shorter ones take the careful path
        self.width = max(at.values()) + 1

    def cell(self, row: Sequence[str], field: str) -> str:
        at = self.at.get(field, -1)
        return row[at].strip() if 0 <= at < len(row) else ""

    def read(self, line: int, row: Sequence[str]) -> BankRow:
        if len(row) < self.width:
            row = [*row, *([""] * (self.width - len(row)))]
        text = row[self.date_at].strip()
        if not text:
            raise LedgerInputError("date", "is empty")
        day = self.dates.get(text)
        if day is None:
            day = _read_date(text, self.order)
            if len(self.dates) < _CACHED_DATES:  # dates repeat; times of day mostly do not
                self.dates[text] = day
        description = _narration(row[self.words_at])
        payee = _narration(row[self.payee_at]) if self.payee_at >= 0 else ""
        if not description and not payee:
            raise LedgerInputError("description", "is empty; the rules match on it")
        amount, code = self._amount(row)
        if self.currency_at >= 0 and (given := row[self.currency_at].strip()):
            currency: str | None = given.upper()
        else:
            currency = code
        if currency is not None and (len(currency) != 3 or not _LETTERS.match(currency)):
            raise LedgerInputError("currency", f"{currency[:20]!r} is not a code like USD")
        return BankRow(line, day, payee[:200], description[:500], amount, currency)

    def _amount(self, row: Sequence[str]) -> tuple[Decimal, str | None]:
        if self.amount_at >= 0:
            text = row[self.amount_at].strip()
            if not text:
                raise LedgerInputError("amount", "is empty")
            amount, code = _signed("amount", text, self.mark)
        else:
            debit_text = row[self.debit_at].strip() if self.debit_at >= 0 else ""
            credit_text = row[self.credit_at].strip() if self.credit_at >= 0 else ""
            if not debit_text and not credit_text:
                raise LedgerInputError("amount", "both debit and credit are empty")
            zero = (Decimal(0), None)
            debit, code = _signed("debit", debit_text, self.mark) if debit_text else zero
            credit, other = _signed("credit", credit_text, self.mark) if credit_text else zero
            amount, code = abs(credit) - abs(debit), code or other
        if amount == 0:
            raise LedgerInputError("amount", "is 0; nothing moved")
        return amount, code


def read_bank_csv(
    lines: Iterable[str], options: CsvOptions | None = None
) -> Iterator[BankRow | RowError]:
    """Each data row of a bank CSV as a BankRow or a RowError naming its line and field.

    `lines` are the file's lines (a file opened with newline=""). A file whose header cannot be
    found or whose columns are missing raises LedgerInputError before any row is read.
    """
    options = options or CsvOptions()
    if options.date_order is not None and options.date_order not in DATE_ORDERS:
        raise LedgerInputError("date_order", f"must be one of {', '.join(DATE_ORDERS)}")
    if options.decimal_mark not in (None, ".", ","):
        raise LedgerInputError("decimal_mark", "must be '.' or ','")
    source = iter(lines)
    head = list(islice(source, _HEADER_SEARCH))
    delimiter, header_index, columns = _find_header(head, options)
    reader = csv.reader(chain(head, source), delimiter=delimiter)
    rows = _valid_rows(reader)
    header: list[str] = []
    for _ in range(header_index + 1):
        header = next(rows)
    sample = [(reader.line_num, row) for row in islice(rows, _SAMPLE_ROWS)]
    probe = _Reader(header, columns, None, None)
    order = options.date_order or _decide_order(probe.cell(row, "date") for _, row in sample)
    money = ("amount", "debit", "credit")
    mark = options.decimal_mark or _decide_mark(
        probe.cell(row, field) for _, row in sample for field in money
    )
    reading = _Reader(header, columns, order, mark)
    rest = ((reader.line_num, row) for row in rows)
    read = reading.read
    for line, row in chain(sample, rest):
        if not "".join(row).strip():  # a blank line, or one of empty cells
            continue
        try:
            yield read(line, row)
        except LedgerInputError as exc:
            yield RowError(line, exc.field, exc.message)
