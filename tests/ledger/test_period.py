"""The period a stream's page reports on, and the capital-days behind its capital charge
(pure rules, no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.rules import capital_charge
from evergreen.ledger.rules.period import Period, Preset, choose_period, month_end, preset_period
from evergreen.ledger.rules.residual import capital_days

TODAY = date(2026, 5, 17)


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        (Preset.THIS_MONTH, date(2026, 5, 1), date(2026, 5, 31)),
        (Preset.LAST_MONTH, date(2026, 4, 1), date(2026, 4, 30)),
        (Preset.THIS_QUARTER, date(2026, 4, 1), date(2026, 6, 30)),
        (Preset.LAST_QUARTER, date(2026, 1, 1), date(2026, 3, 31)),
        (Preset.YEAR_TO_DATE, date(2026, 1, 1), TODAY),
        (Preset.LAST_YEAR, date(2025, 1, 1), date(2025, 12, 31)),
        (Preset.TRAILING_YEAR, date(2025, 5, 18), TODAY),
    ],
)
def test_presets_as_of_a_day(preset: Preset, start: date, end: date) -> None:
    assert preset_period(preset, TODAY) == Period(start, end, preset.value)


def test_quarters_and_months_at_the_turn_of_the_year() -> None:
    january = date(2026, 1, 10)
    assert preset_period(Preset.LAST_MONTH, january) == Period(
        date(2025, 12, 1), date(2025, 12, 31), "last-month"
    )
    assert preset_period(Preset.LAST_QUARTER, january).start == date(2025, 10, 1)
    assert preset_period(Preset.THIS_QUARTER, date(2026, 12, 31)).end == date(2026, 12, 31)
    assert month_end(date(2028, 2, 3)) == date(2028, 2, 29)


def test_no_choice_is_this_month_and_typed_dates_win_over_a_preset() -> None:
    assert choose_period("", "", "", TODAY) == Period(
        date(2026, 5, 1), date(2026, 5, 31), "this-month"
    )
    typed = choose_period("last-year", "2026-02-03", "2026-02-03", TODAY)
    assert typed == Period(date(2026, 2, 3), date(2026, 2, 3))
    assert typed.days == 1


@pytest.mark.parametrize(
    ("preset", "start", "end", "field", "words"),
    [
        ("someday", "", "", "period", "is not a period"),
        ("", "2026-02-01", "", "to", "is empty"),
        ("", "", "2026-02-01", "from", "is empty"),
        ("", "2026-02-30", "2026-03-01", "from", "is not a date"),
        ("", "2026-03-01", "2026-02-01", "to", "must run forward"),
        ("", "2000-01-01", "2026-01-01", "to", "at most ten years"),
    ],
)
def test_a_bad_period_names_what_to_fix(
    preset: str, start: str, end: str, field: str, words: str
) -> None:
    with pytest.raises(LedgerInputError) as refused:
        choose_period(preset, start, end, TODAY)
    assert refused.value.field == field
    assert words in refused.value.message


def test_capital_days_count_each_days_closing_balance() -> None:
    # 1000 before the period; +500 on the 2nd, -1500 on the 3rd: 1000 + 1500 + 0 + 0.
    changes = {date(2026, 1, 2): Decimal(500), date(2026, 1, 3): Decimal(-1500)}
    days = capital_days(Decimal(1000), changes, date(2026, 1, 1), date(2026, 1, 4))
    assert days == Decimal(2500)
    r = Decimal("0.08")
    charge = capital_charge(Decimal(1000), changes, date(2026, 1, 1), date(2026, 1, 4), r)
    assert days * r / 365 == charge
