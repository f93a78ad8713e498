"""Ad spend as the owner enters or imports it: one row per day, campaign and source, an amount in
whole cents and its currency. A CSV is read as a stream; every bad row is a `SpendError` with
its line and column, and reading goes on so the preview lists them all."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from evergreen.csvfile import uploaded_rows
from evergreen.errors import InputError
from evergreen.funnels.errors import FunnelInputError
from evergreen.isodates import iso_day
from evergreen.money import check_currency, read_amount

__all__ = [
    "SpendError",
    "SpendReading",
    "SpendRow",
    "check_spend",
    "read_spend_csv",
    "spend_key",
    "to_cents",
]

_COLUMNS = {
    "day": ("day", "date", "reporting starts"),
    "campaign": ("campaign", "campaign name"),
    "source": ("source", "platform", "network"),
    "amount": ("amount", "spend", "cost", "amount spent"),
    "currency": ("currency",),
}
MAX_ROWS = 50_000


@dataclass(frozen=True)
class SpendRow:
    """A day's spend on one campaign and source, in whole cents."""

    day: date
    campaign: str
    source: str
    amount_cents: int
    currency: str

    @property
    def key(self) -> tuple[date, str, str]:
        """What a re-import of this row replaces: see `spend_key`."""
        return spend_key(self.day, self.campaign, self.source)


def spend_key(day: date, campaign: str, source: str) -> tuple[date, str, str]:
    """The day, campaign and source without letter case: ad networks export 'Facebook' one
    month and 'facebook' the next, and the same spend must replace itself, not add up."""
    return day, campaign.casefold(), source.casefold()


@dataclass(frozen=True)
class SpendError:
    """One refused row: its line in the file, the column and what to fix."""

    line: int
    field: str
    message: str


@dataclass
class SpendReading:
    """The rows read and the rows refused, in file order."""

    rows: list[SpendRow] = field(default_factory=list)
    errors: list[SpendError] = field(default_factory=list)


def to_cents(name: str, amount: Decimal) -> int:
    """An amount of whole cents; a fraction of a cent is refused, not rounded."""
    if amount != amount.quantize(Decimal("0.01")):
        raise FunnelInputError(name, f"{amount} has more than two decimal places")
    return int(amount * 100)


def _text(name: str, value: str, limit: int) -> str:
    text = " ".join(value.split())
    if len(text) > limit:
        raise FunnelInputError(name, f"must be at most {limit} characters")
    return text


def check_spend(day: str, campaign: str, source: str, amount: str, currency: str) -> SpendRow:
    """One row of spend from text, each cell refused by its name."""
    try:
        when = iso_day(day.strip())
    except ValueError:
        raise FunnelInputError(
            "day", f"{day.strip()[:40]!r} is not a date like 2026-12-01"
        ) from None
    cents = to_cents("amount", read_amount("amount", amount))
    code = check_currency("currency", currency.strip().upper())
    return SpendRow(
        when, _text("campaign", campaign, 200), _text("source", source, 100), cents, code
    )


def _rows(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """The file's rows, a file csv cannot read refused on the `file` field."""
    return uploaded_rows(lines, lambda message: FunnelInputError("file", message))


def _positions(header: list[str]) -> dict[str, int]:
    names = [" ".join(h.replace("_", " ").lower().split()) for h in header]
    found: dict[str, int] = {}
    for column, aliases in _COLUMNS.items():
        for index, name in enumerate(names):
            if name in aliases:
                found[column] = index
                break
    missing = [c for c in ("day", "amount", "currency") if c not in found]
    if missing:
        raise FunnelInputError(
            "file",
            f"line 1: needs the columns {', '.join(missing)} (day, campaign, source, "
            "amount, currency)",
        )
    return found


def read_spend_csv(lines: Iterable[str]) -> SpendReading:
    """Every row of an ad-spend CSV (day, campaign, source, amount, currency), or its error."""
    rows = _rows(lines)
    first = next(rows, None)
    if first is None:
        raise FunnelInputError(
            "file", "is empty; it needs a header: day,campaign,source,amount,currency"
        )
    where = _positions(first[1])
    reading = SpendReading()
    for line, cells in rows:
        if len(reading.rows) + len(reading.errors) >= MAX_ROWS:
            raise FunnelInputError("file", f"has more than {MAX_ROWS} rows; split it")

        def cell(column: str, cells: list[str] = cells) -> str:
            index = where.get(column)
            return cells[index] if index is not None and index < len(cells) else ""

        try:
            reading.rows.append(
                check_spend(cell("day"), cell("campaign"), cell("source"), cell("amount"),
                            cell("currency"))
            )  # fmt: skip
        except InputError as error:
            reading.errors.append(SpendError(line, error.field, error.message))
    return reading
