"""Bank CSV files read without a database: column guessing, dates, decimal marks, signs, errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.rules.bank_csv import BankRow, CsvOptions, RowError, read_bank_csv


def _read(text: str, **options: object) -> list[BankRow | RowError]:
    return list(read_bank_csv(text.splitlines(keepends=True), CsvOptions(**options)))  # type: ignore[arg-type]


def test_a_plain_file_is_read_row_by_row_with_its_lines() -> None:
    rows = _read(
        "Date,Description,Amount\n"
        "2026-01-05,AMAZON WEB SERVICES,-12.50\n"
        '2026-01-06,"Royalty, KDP",250\n'
    )
    assert rows == [
        BankRow(2, date(2026, 1, 5), "", "AMAZON WEB SERVICES", Decimal("-12.50"), None),
        BankRow(3, date(2026, 1, 6), "", "Royalty, KDP", Decimal("250"), None),
    ]


def test_european_file_with_semicolons_decimal_commas_and_day_first_dates() -> None:
    rows = _read(
        "Buchungstag;Verwendungszweck;Betrag;Währung\n"
        "05.01.2026;Hosting GmbH;-1.234,50;EUR\n"
        "06.01.2026;Tantiemen;12,5;EUR\n"
    )
    assert [(r.date, r.description, r.amount, r.currency) for r in rows] == [  # type: ignore[union-attr]
        (date(2026, 1, 5), "Hosting GmbH", Decimal("-1234.50"), "EUR"),
        (date(2026, 1, 6), "Tantiemen", Decimal("12.5"), "EUR"),
    ]


def test_debit_and_credit_columns_give_one_signed_amount() -> None:
    rows = _read(
        "Posted Date,Payee,Details,Debit,Credit\n"
        "01/31/2026,Stripe,Payout,,1500.00\n"
        "02/01/2026,DigitalOcean,Droplet,24.00,\n"
    )
    assert [(r.date, r.payee, r.description, r.amount) for r in rows] == [  # type: ignore[union-attr]
        (date(2026, 1, 31), "Stripe", "Payout", Decimal("1500.00")),
        (date(2026, 2, 1), "DigitalOcean", "Droplet", Decimal("-24.00")),
    ]


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("(12.50)", "-12.50", None),
        ("12.50-", "-12.50", None),
        ("\u221212.50", "-12.50", None),  # a minus sign
        ("$1,234.56", "1234.56", None),
        ("-€12.50", "-12.50", None),
        ("12.50 EUR", "12.50", "EUR"),
        ("GBP 7.00", "7.00", "GBP"),
        ("12.50 DR", "-12.50", None),
        ("+3", "3", None),
    ],
)
def test_amounts_as_banks_write_them(text: str, amount: str, currency: str | None) -> None:
    [row] = _read(f'Date,Description,Amount\n2026-01-05,x,"{text}"\n')
    assert isinstance(row, BankRow)
    assert (row.amount, row.currency) == (Decimal(amount), currency)


def test_slash_dates_are_read_day_first_when_a_day_over_12_says_so() -> None:
    rows = _read("Date,Description,Amount\n03/02/2026,a,1\n25/02/2026,b,2\n")
    assert [r.date for r in rows] == [date(2026, 2, 3), date(2026, 2, 25)]  # type: ignore[union-attr]


def test_a_day_the_journal_does_not_take_is_that_rows_error() -> None:
    """Year 1 and 9999 were posted from a file although the API refuses them (1900-2199)."""
    rows = _read("Date,Description,Amount\n9999-12-31,a,1\n0001-01-01,b,2\n2199-12-31,c,3\n")
    assert [(r.line, r.field) for r in rows if isinstance(r, RowError)] == [
        (2, "date"),
        (3, "date"),
    ]
    assert [r.date for r in rows if isinstance(r, BankRow)] == [date(2199, 12, 31)]


def test_ambiguous_slash_dates_are_refused_until_the_order_is_given() -> None:
    text = "Date,Description,Amount\n03/02/2026,a,1\n"
    [row] = _read(text)
    assert isinstance(row, RowError)
    assert (row.line, row.field) == (2, "date")
    assert "DMY or MDY" in row.message
    [row] = _read(text, date_order="MDY")
    assert isinstance(row, BankRow)
    assert row.date == date(2026, 3, 2)


def test_the_decimal_mark_is_taken_from_other_rows_of_the_file() -> None:
    rows = _read('Date,Description,Amount\n2026-01-05,a,"1,234"\n2026-01-06,b,"2,345.10"\n')
    assert [r.amount for r in rows] == [Decimal(1234), Decimal("2345.10")]  # type: ignore[union-attr]
    [alone] = _read('Date,Description,Amount\n2026-01-05,a,"1,234"\n')
    assert isinstance(alone, RowError)
    assert "ambiguous" in alone.message


def test_a_preamble_before_the_header_is_skipped_and_lines_still_count() -> None:
    rows = _read("Account: 1234\nExported 2026-02-01\n\nDate,Memo,Amount\n2026-01-05,x,1\n")
    assert [(r.line, r.description) for r in rows] == [(5, "x")]  # type: ignore[union-attr]


def test_each_bad_row_is_an_error_naming_its_line_and_field() -> None:
    rows = _read(
        "Date,Description,Amount\n"
        "2026-01-05,ok,1\n"
        "2026-02-30,bad day,1\n"
        "2026-01-06,,1\n"
        "2026-01-07,zero,0.00\n"
        "2026-01-08,words,twelve\n"
        ",,\n"
    )
    assert [(type(r).__name__, r.line) for r in rows] == [
        ("BankRow", 2), ("RowError", 3), ("RowError", 4), ("RowError", 5), ("RowError", 6),
    ]  # fmt: skip
    assert [r.field for r in rows[1:]] == ["date", "description", "amount", "amount"]  # type: ignore[union-attr]
    assert str(rows[1]).startswith("line 3: date:")


# Direction marks (U+202E showed a narration reversed) and C0/C1 control characters, each once.
UNSHOWN = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
           "\u2069", "\u200e", "\u200f", "\u061c", "\x00", "\x07", "\x1b", "\x7f", "\x80",
           "\x9b"]  # fmt: skip


@pytest.mark.parametrize("mark", UNSHOWN)
def test_a_narrations_control_characters_are_dropped_and_the_row_kept(mark: str) -> None:
    lines = ["Date,Payee,Description,Amount\n",
             f'2026-01-05,"Host{mark}ing Ltd","Invoice{mark} 12{mark}",-12.50\n']  # fmt: skip
    [row] = read_bank_csv(lines, CsvOptions())
    assert row == BankRow(2, date(2026, 1, 5), "Hosting Ltd", "Invoice 12", Decimal("-12.50"), None)


def test_control_whitespace_in_a_narration_becomes_one_space() -> None:
    hello, hebrew = "\u0645\u0631\u062d\u0628\u0627", "\u05e2\u05d1\u05e8\u05d9\u05ea"
    kept = f"Kept: {hebrew} \U0001f332 M\u00e4rz \u2013 x"  # other scripts pass as written
    spaced = kept.replace(" x", " \u00a0x")  # a no-break space is a space like any other
    lines = ["Date,Payee,Description,Amount\n",
             '2026-01-05,"Stripe\x85Payments","Payout\t\x0b\r\n\x1c\u2028to\x0cbank",1\n',
             f'2026-01-06,"\u202eAmazon\u202c","\u2067{hello}\u2069 and a\x00b",2\n',
             f'2026-01-07,"{spaced}",x,3\n']  # fmt: skip
    rows = list(read_bank_csv(lines, CsvOptions()))
    assert [(r.payee, r.description) for r in rows] == [  # type: ignore[union-attr]
        ("Stripe Payments", "Payout to bank"),
        ("Amazon", f"{hello} and ab"),
        (kept, "x"),
    ]


def test_a_narration_of_control_characters_alone_is_empty_and_that_row_refused() -> None:
    lines = ["Date,Description,Amount\n", '2026-01-05,"\u202e\x00\x07",1\n',
             "2026-01-06,kept,2\n"]  # fmt: skip
    rows = list(read_bank_csv(lines, CsvOptions()))
    assert isinstance(rows[0], RowError)
    assert str(rows[0]) == "line 2: description: is empty; the rules match on it"
    assert rows[1] == BankRow(3, date(2026, 1, 6), "", "kept", Decimal(2), None)


def test_long_narrations_are_cut_after_their_control_characters_are_dropped() -> None:
    payee, words = "P" * 199 + "\u202e" * 5 + "Q", "\x07" * 10 + "W" * 600
    lines = ["Date,Payee,Description,Amount\n", f"2026-01-05,{payee},{words},1\n"]
    [row] = read_bank_csv(lines, CsvOptions())
    assert isinstance(row, BankRow)
    assert (row.payee, row.description) == ("P" * 199 + "Q", "W" * 500)


def test_columns_can_be_named_by_the_owner() -> None:
    rows = _read("Booked,Text,Sum\n2026-01-05,x,-2\n", columns={"date": "booked",
                 "description": "Text", "amount": "Sum"})  # fmt: skip
    assert [(r.date, r.amount) for r in rows] == [(date(2026, 1, 5), Decimal(-2))]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "columns", "message"),
    [
        ("Booked,Text,Sum\n", None, "no date column"),
        ("Date,Text,Sum\n", None, "no amount"),
        ("Date,Description,Amount\n", {"date": "Day"}, "has no column 'Day'"),
        ("Date,Description,Amount\n", {"weight": "Date"}, "not a field"),
    ],
)
def test_a_file_without_the_columns_is_refused_before_any_row(
    text: str, columns: dict[str, str] | None, message: str
) -> None:
    with pytest.raises(LedgerInputError) as refused:
        _read(text, columns=columns)
    assert refused.value.field == "columns"
    assert message in refused.value.message


def test_a_short_row_reads_its_missing_cells_as_empty() -> None:
    rows = _read(
        "Date,Description,Amount,Currency\n"
        "2026-01-05,no currency,-2\n"
        "2026-01-06,no amount\n"
        "2026-01-07\n"
    )
    assert rows[0] == BankRow(2, date(2026, 1, 5), "", "no currency", Decimal(-2), None)
    assert [(r.line, r.field) for r in rows[1:]] == [(3, "amount"), (4, "description")]  # type: ignore[union-attr]
