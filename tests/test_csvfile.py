"""The one CSV writer every export uses: formulas neutralised, numbers kept, a round trip."""

from __future__ import annotations

import csv
import io

import pytest

from evergreen.csvfile import CsvWriter, restore_cell, safe_cell, uploaded_rows


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"), ("+1+1", "'+1+1"), ("-1+1", "'-1+1"), ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"), ("'=1", "''=1"), ("-12.50", "-12.50"), ("+3", "+3"), ("a=1", "a=1"),
        ("", ""), (None, ""), (12, "12"),
    ],
)  # fmt: skip
def test_the_one_csv_writer_neutralises_formulas_and_keeps_numbers(
    cell: object, written: str
) -> None:
    assert safe_cell(cell) == written
    assert restore_cell(safe_cell(cell)) == ("" if cell is None else str(cell))


def test_the_writer_writes_safe_rows() -> None:
    out = io.StringIO()
    CsvWriter(out).writerow(["=cmd|' /C calc'!A0", "ok", -5])
    assert out.getvalue() == "'=cmd|' /C calc'!A0,ok,-5\r\n"


def test_an_uploaded_csv_is_read_with_its_own_delimiter_and_its_cells_restored() -> None:
    lines = ["\ufeffName;Amount\n", "\n", "'=SUM(A1);-5.00\n", '"two\n', 'lines";3\n']
    rows = list(uploaded_rows(lines, ValueError))
    assert rows == [(1, ["Name", "Amount"]), (3, ["=SUM(A1)", "-5.00"]), (4, ["two\nlines", "3"])]


def test_an_unreadable_csv_is_refused_with_the_callers_error_naming_its_line() -> None:
    lines = ["a,b\n", "1,2\n", "x" * (csv.field_size_limit() + 1) + ",3\n"]  # over csv's limit
    with pytest.raises(LookupError, match=r"^line 3: not readable as CSV"):
        list(uploaded_rows(lines, LookupError))
