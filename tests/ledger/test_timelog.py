"""hledger timeclock and timedot logs read without a database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.rules.timelog import read_timeclock, read_timedot, read_timelog


def _lines(text: str) -> list[str]:
    return text.splitlines()


def test_timeclock_sessions_become_hours_per_day_split_at_midnight() -> None:
    entries = read_timeclock(_lines(
        "; my time\n"
        "i 2026-01-05 09:00:00 Blog  drafting a post\n"
        "o 2026-01-05 10:30:00\n"
        "i 2026/01/05 23:00 My Books\n"
        "o 2026/01/06 01:15\n"
    ))  # fmt: skip
    assert [(e.line, e.date, e.stream, e.hours, e.memo) for e in entries] == [
        (2, date(2026, 1, 5), "Blog", Decimal("1.5000"), "drafting a post"),
        (4, date(2026, 1, 5), "My Books", Decimal("1.0000"), ""),
        (4, date(2026, 1, 6), "My Books", Decimal("1.2500"), ""),
    ]
    assert len({e.key for e in entries}) == 3


def test_timeclock_keys_depend_on_the_session_not_its_place_in_the_file() -> None:
    alone = read_timeclock(["i 2026-01-05 09:00 Blog", "o 2026-01-05 10:00"])
    later = read_timeclock(
        ["", "i 2026-01-04 09:00 Blog", "o 2026-01-04 09:30",
         "i 2026-01-05 09:00 Blog  memo changed", "o 2026-01-05 10:00"]
    )  # fmt: skip
    assert alone[0].key == later[1].key


def test_timeclock_concurrent_sessions_are_closed_by_name() -> None:
    entries = read_timeclock(["i 2026-01-05 09:00 Blog", "i 2026-01-05 09:30 Books",
                              "o 2026-01-05 10:00 Books", "o 2026-01-05 11:00"])  # fmt: skip
    assert [(e.stream, e.hours) for e in entries] == [("Books", Decimal("0.5000")),
                                                       ("Blog", Decimal("2.0000"))]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "field", "line"),
    [
        ("o 2026-01-05 10:00", "entry", 1),
        ("i 2026-01-05 10:00 Blog", "entry", 1),
        ("i 2026-01-05 10:00 Blog\no 2026-01-05 09:00", "time", 2),
        ("i 2026-01-05 25:00 Blog", "time", 1),
        ("i 2026-02-30 10:00 Blog", "date", 1),
        ("i 9999-12-31 22:00 Blog\no 9999-12-31 23:30", "date", 1),  # was an OverflowError
        ("i 1899-12-31 22:00 Blog\no 1899-12-31 23:30", "date", 1),
        ("i 2026-01-05 10:00\n", "stream", 1),
        ("x 2026-01-05 10:00 Blog", "entry", 1),
        ("i 2026-01-05 09:00 Blog\ni 2026-01-05 09:10 Blog", "stream", 2),
        ("i 2026-01-05 09:00 A\ni 2026-01-05 09:10 B\no 2026-01-05 10:00", "stream", 3),
    ],
)
def test_timeclock_mistakes_name_the_line_and_field(text: str, field: str, line: int) -> None:
    with pytest.raises(LedgerInputError) as refused:
        read_timeclock(_lines(text))
    assert refused.value.field == f"line {line}: {field}"


def test_timedot_dots_numbers_and_units() -> None:
    entries = read_timedot(_lines(
        "# week 2\n"
        "2026-01-05 writing day\n"
        "Blog      .... ..\n"
        "  My Books  1.5\n"
        "Blog      90m  ; afternoon\n"
        "\n"
        "* 2026/01/06\n"
        "Blog  0\n"
        "Blog  3600s\n"
    ))  # fmt: skip
    assert [(e.line, e.date, e.stream, e.hours, e.memo) for e in entries] == [
        (3, date(2026, 1, 5), "Blog", Decimal("1.5000"), "writing day"),
        (4, date(2026, 1, 5), "My Books", Decimal("1.5000"), "writing day"),
        (5, date(2026, 1, 5), "Blog", Decimal("1.5000"), "writing day"),
        (9, date(2026, 1, 6), "Blog", Decimal("1.0000"), ""),
    ]
    # Two equal lines on one day are two entries with their own keys.
    assert entries[0].key != entries[2].key


@pytest.mark.parametrize(
    ("text", "field", "line"),
    [
        ("Blog  1", "date", 1),
        ("2026-01-05\nBlog 1.5", "quantity", 2),
        ("2026-01-05\nBlog  lots", "quantity", 2),
        ("2026-01-05\nBlog  25", "quantity", 2),
        ("2026-01-05\nBlog  20\nBooks  5", "quantity", 3),
        ("2026-13-01\nBlog  1", "date", 1),
        ("9999-12-31\nBlog  1", "date", 1),
        ("0001-01-01\nBlog  1", "date", 1),
    ],
)
def test_timedot_mistakes_name_the_line_and_field(text: str, field: str, line: int) -> None:
    with pytest.raises(LedgerInputError) as refused:
        read_timedot(_lines(text))
    assert refused.value.field == f"line {line}: {field}"


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(LedgerInputError, match="timeclock or timedot"):
        read_timelog([], "ledger")
