"""The pure parts the owner's pages stand on: the calendar read only as far as a view needs,
form values read or refused by their field, the page count, and the exposure chart's bars."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from evergreen.lending.errors import LendingInputError
from evergreen.lending.queries import BookLine
from evergreen.lending.rules import LoanTerms as Terms
from evergreen.lending.rules import (
    calendar_rows,
    calendar_through,
    days_past_due,
    expected_calendar,
)
from evergreen.lending.rules.forms import page_count, read_date, read_whole
from evergreen.lending.views.book import exposure_chart

D = Decimal
START = date(2026, 1, 31)  # month ends clamp: Feb 28, Mar 31, Apr 30…
TERMS = (
    Terms(D(100000), D("0.12"), 12, START),
    Terms(D(100000), D("0.12"), 12, START, "actual/365", interest_only=False,
          amortization_months=240),
    Terms(D(100000), D("0.12"), 6, START, commitment=D(150000)),
)  # fmt: skip


@pytest.mark.parametrize("terms", TERMS)
def test_the_calendar_one_row_at_a_time_is_the_whole_calendar(terms: Terms) -> None:
    draws = [(date(2026, 3, 10), D(20000))] if terms.commitment else []
    full = expected_calendar(terms, draws)
    assert list(calendar_rows(terms, draws)) == full
    assert full[-1].on == terms.maturity
    assert sum(r.principal for r in full) == terms.principal + sum(a for _, a in draws)


@pytest.mark.parametrize("terms", TERMS)
@pytest.mark.parametrize("months_paid", [0, 2, 5, 11])
@pytest.mark.parametrize("as_of", [date(2026, 1, 31), date(2026, 4, 15), date(2026, 9, 1)])
def test_the_calendars_head_tells_what_the_whole_calendar_tells(
    terms: Terms, months_paid: int, as_of: date
) -> None:
    full = expected_calendar(terms)
    paid = sum((r.amount for r in full[:months_paid]), D(0))
    head = calendar_through(terms, (), paid, as_of)
    assert head == full[: len(head)]
    assert days_past_due(head, paid, as_of) == days_past_due(full, paid, as_of)
    # It stops at the first row after as_of that what was paid does not cover.
    if len(head) < len(full):
        assert head[-1].on > as_of
        assert sum((r.amount for r in head), D(0)) > paid
        assert sum((r.amount for r in head[:-1]), D(0)) <= paid or head[-2].on <= as_of


def test_form_values_are_read_or_refused_by_their_field() -> None:
    assert read_date("start", " 2026-02-01 ") == date(2026, 2, 1)
    with pytest.raises(LendingInputError, match="YYYY-MM-DD") as refused:
        read_date("start", "Feb 1")
    assert refused.value.field == "start"
    assert read_whole("months", "12", 1, 600) == 12
    with pytest.raises(LendingInputError, match="whole number"):
        read_whole("months", "12.5", 1, 600)
    with pytest.raises(LendingInputError, match="from 1 to 600"):
        read_whole("months", "0", 1, 600)
    assert [page_count(n, 25) for n in (0, 1, 25, 26, 51)] == [1, 1, 1, 2, 3]


@pytest.mark.parametrize("text", ["5", "86400", "20260201", "2026-W05-7", "2026-2-1", "-1"])
def test_a_day_is_written_year_month_day_never_a_bare_number(text: str) -> None:
    """The pages and the commands read days with this one rule: Python's other ISO forms
    (20260201, a week date) and a bare number are refused, naming the field."""
    with pytest.raises(LendingInputError) as refused:
        read_date("start", text)
    assert refused.value.field == "start"
    assert refused.value.message == f"must be a date as YYYY-MM-DD (got {text!r})"


def _line(loan_id: int, borrower: str, balance: str, late: str = "current") -> BookLine:
    return BookLine(loan_id, loan_id, borrower, D(balance), 0, late, date(2026, 3, 1), D(balance))


def test_the_exposure_chart_puts_the_largest_borrowers_first_and_late_money_beside() -> None:
    assert exposure_chart([]) is None
    lines = [_line(1, "Ann", "100000"), _line(2, "Ann", "50000", "60"), _line(3, "Bob", "200000")]
    lines += [_line(10 + n, f"Small {n}", str(1000 + n)) for n in range(9)]
    chart = exposure_chart(lines)
    assert chart is not None
    assert chart.legend == ["Current", "Past due (30 days or more)"]
    # Bob (200,000) then Ann (150,000), the six largest small ones, the other three as Others.
    labels = [t.label for t in chart.x_ticks]
    assert labels[:2] == ["Bob", "Ann"]
    assert labels[-1] == "Others"
    assert len(labels) == 9
    bars = {(b.group, b.name): b.value for b in chart.bars}
    assert bars[("Ann", "Current")] == 100000
    assert bars[("Ann", "Past due (30 days or more)")] == 50000
    assert bars[("Others", "Current")] == 1000 + 1001 + 1002
