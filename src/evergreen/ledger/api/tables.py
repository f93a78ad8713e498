"""The ledger's reports as CSV files (one row a stream, a month or an entry), written through
evergreen.csvfile so a spreadsheet never runs a memo as a formula."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import TextIO

from evergreen.csvfile import CsvWriter
from evergreen.ledger import queries
from evergreen.ledger.rules import Figure, Figures, Leg, daily_figures
from evergreen.money import show_amount

__all__ = ["Behind", "behind", "write_entries", "write_history", "write_report"]

FIGURE_COLUMNS = [f.name for f in fields(Figures)]


def write_report(report: queries.Report, out: TextIO) -> None:
    """One row a stream, then the total (of the streams in the report's currency)."""
    writer = CsvWriter(out)
    writer.writerow(["from", "to", "stream", "kind", "currency", *FIGURE_COLUMNS])
    period = [report.start.isoformat(), report.end.isoformat()]
    for row in report.rows:
        shown = row.figures.as_strings()
        writer.writerow([*period, row.name, row.kind, row.currency,
                         *(shown[c] for c in FIGURE_COLUMNS)])  # fmt: skip
    total = report.total.as_strings()
    writer.writerow([*period, "Total", "", report.currency, *(total[c] for c in FIGURE_COLUMNS)])


def write_history(history: Sequence[tuple[date, Figures]], out: TextIO) -> None:
    """One row a calendar month, oldest first."""
    writer = CsvWriter(out)
    writer.writerow(["month", *FIGURE_COLUMNS])
    for month, figures in history:
        shown = figures.as_strings()
        writer.writerow([month.strftime("%Y-%m"), *(shown[c] for c in FIGURE_COLUMNS)])


@dataclass(frozen=True)
class Behind:
    """A posting behind a figure, with what it adds to that figure (income counted positive)."""

    line: queries.EntryLine
    counted: Decimal


def behind(lines: Sequence[queries.EntryLine], stream_id: int, figure: Figure) -> list[Behind]:
    """Each posting with its share of the figure, by the same rule the rollup adds it with, so
    the shares sum to the figure."""
    out = []
    for line in lines:
        leg = Leg(line.account, line.amount, line.currency, stream_id)
        ((income, costs, capital, _count),) = daily_figures(line.date, [leg]).values()
        counted = {Figure.INCOME: income, Figure.COSTS: costs, Figure.CAPITAL: capital}[figure]
        out.append(Behind(line, counted))
    return out


def write_entries(rows: Sequence[Behind], out: TextIO) -> None:
    """One row a posting: the transaction, the day, the account and the amount counted."""
    writer = CsvWriter(out)
    writer.writerow(["transaction_id", "date", "account", "amount", "currency", "payee",
                     "narration", "source"])  # fmt: skip
    for row in rows:
        line = row.line
        writer.writerow([line.transaction_id, line.date.isoformat(), line.account,
                         show_amount(row.counted), line.currency, line.payee, line.narration,
                         line.source])  # fmt: skip
