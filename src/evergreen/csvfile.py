"""The one CSV writer of every export: cells a spreadsheet would run as formulas are neutralised;
and the reader of the spreadsheets people upload, which turns those cells back."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import TextIO

__all__ = ["CsvWriter", "decode_utf8", "restore_cell", "safe_cell", "uploaded_rows"]

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection, OWASP).
_FORMULA_START = frozenset("=+-@\t\r")
# A plain number cannot run, and a clawback of -5.00 must stay a number in the spreadsheet.
_PLAIN_NUMBER = re.compile(r"^[+-]?[0-9]+(?:\.[0-9]+)?$")


def _risky(value: str) -> bool:
    """Whether a cell (ignoring apostrophes already in front) would start a formula."""
    bare = value.lstrip("'")
    return bare[:1] in _FORMULA_START and not _PLAIN_NUMBER.match(bare)


def safe_cell(value: object) -> str:
    """The cell as text, with an apostrophe in front when a spreadsheet would run it."""
    text = "" if value is None else str(value)
    return "'" + text if _risky(text) else text


def restore_cell(value: str) -> str:
    """Undo safe_cell, so a file Evergreen exported imports back unchanged."""
    return value[1:] if value[:1] == "'" and _risky(value[1:]) else value


# The delimiters a spreadsheet saves with; the one the header line uses most is the file's.
_DELIMITERS = (",", ";", "\t")


def uploaded_rows(
    lines: Iterable[str], refuse: Callable[[str], Exception]
) -> Iterator[tuple[int, list[str]]]:
    """(line where the row starts, cells) for every non-blank row of an uploaded CSV, the header
    first; a file csv cannot read is `refuse(message)` naming the line."""
    source = iter(lines)
    first = next(source, "").removeprefix("\ufeff")
    delimiter = max(_DELIMITERS, key=first.count)
    reader = csv.reader(chain([first], source), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield start, [restore_cell(cell.strip()) for cell in cells]
            start = reader.line_num + 1
    except csv.Error as error:
        raise refuse(f"line {start}: not readable as CSV ({error})") from None


def decode_utf8(data: bytes, refuse: Callable[[str], Exception]) -> str:
    """An uploaded file as UTF-8 text (a BOM skipped): another encoding is `refuse(message)`
    naming the line and the byte, never text with replacement characters stored as names."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # The offset is into what was decoded: the bytes after a BOM, when there is one.
        read = bytes(error.object)
        line = read.count(b"\n", 0, error.start) + 1
        raise refuse(
            f"is not UTF-8 text (line {line} has the byte 0x{read[error.start]:02x}); "
            "save it as UTF-8 (CSV UTF-8) and try again"
        ) from None


class CsvWriter:
    """csv.writer with every cell passed through safe_cell: names, emails and notes come from
    partners and visitors, and an export is opened in a spreadsheet."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, cells: Iterable[object]) -> None:
        """Write one row of neutralised cells."""
        self._writer.writerow([safe_cell(cell) for cell in cells])
