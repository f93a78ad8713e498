"""The one CSV writer every export uses: formulas neutralised, numbers kept, a round trip."""

from __future__ import annotations

import io

import pytest

from evergreen.csvfile import CsvWriter, restore_cell, safe_cell


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
