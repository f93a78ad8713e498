"""Days and times sent to the API are ISO text: a number, which pydantic reads as Unix time, is
refused (the app-wide walk is tests/web/test_request_bodies.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import pytest
from pydantic import AwareDatetime, Field, FutureDate, TypeAdapter, ValidationError

from evergreen.isodates import NoUnixTime, QueryDay, iso_day, temporal_kind


class _Body(NoUnixTime):
    day: date
    when: datetime | None = None
    aware: AwareDatetime | None = None  # pydantic's own kinds of time are read the same way
    count: int = 0
    label: str = ""


@pytest.mark.parametrize("number", [0, 5, 86400, "86400", " 1700000000 ", 1.5e9, "1e9", True])
@pytest.mark.parametrize("field", ["day", "when", "aware"])
def test_a_number_for_a_day_or_a_time_is_refused_by_its_field(number: object, field: str) -> None:
    body = {"day": "2026-03-01", field: number}
    with pytest.raises(ValidationError) as info:
        _Body.model_validate(body)
    [error] = info.value.errors()
    assert error["loc"] == (field,)
    assert error["type"] == "iso_date"
    assert error["msg"].endswith("not a number")


def test_iso_text_and_numbers_for_numbers_still_pass() -> None:
    read = _Body.model_validate(
        {"day": "2026-03-01", "when": "2026-03-01T09:30:00Z", "count": "7", "label": "5"}
    )
    assert (read.day, read.when.hour if read.when else None) == (date(2026, 3, 1), 9)
    assert (read.count, read.label) == (7, "5")
    assert _Body(day=date(2026, 3, 1)).day == date(2026, 3, 1)  # Python callers pass days


def test_a_query_day_is_iso_text_too() -> None:
    adapter = TypeAdapter(QueryDay)
    assert adapter.validate_python("2026-03-01") == date(2026, 3, 1)
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        adapter.validate_python("86400")


def test_the_kind_is_found_through_optional_and_annotated() -> None:
    assert temporal_kind(date) == "date"
    assert temporal_kind(datetime | None) == "datetime"
    assert temporal_kind(Annotated[date, Field(ge=date(1900, 1, 1))] | None) == "date"
    assert temporal_kind(AwareDatetime | None) == "datetime"
    assert temporal_kind(FutureDate) == "date"
    assert temporal_kind(int | str) is None


@pytest.mark.parametrize(
    "text", ["20260301", "2026-W09-7", "2026-060", "2026-3-1", " 2026-03-01", ""]
)
def test_a_day_people_type_is_yyyy_mm_dd_only(text: str) -> None:
    with pytest.raises(ValueError, match="not a day as YYYY-MM-DD"):
        iso_day(text)


def test_every_area_reads_typed_days_alike() -> None:
    """Funnels, webinars and the ledger took 20260301 (Python's basic ISO form) for a day."""
    from evergreen.errors import InputError
    from evergreen.funnels.rules.period import report_period
    from evergreen.funnels.rules.spend import check_spend
    from evergreen.ledger.rules import parse_date
    from evergreen.webinars.rules.content import check_asked_on

    today = date(2026, 3, 10)
    assert iso_day("2026-03-01") == date(2026, 3, 1)
    refusals = [
        lambda: report_period("20260301", "", today),
        lambda: report_period("", "2026-W10-1", today),
        lambda: check_spend("20260301", "c", "s", "1.00", "USD"),
        lambda: parse_date("2026-W09-7"),
        lambda: check_asked_on("20260301", today),
    ]
    for refusal in refusals:
        with pytest.raises(InputError):
            refusal()
