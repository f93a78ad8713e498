"""The frequency rule without a database: weekly and monthly people get a broadcast only when
none reached them within the gap; "all" (and anything unknown) always."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evergreen.audience.rules.forms import FREQUENCIES
from evergreen.mail.rules.frequency import GAPS, frequency_skip

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("frequency", "ago", "expected"),
    [
        ("all", DAY, None),
        ("all", timedelta(seconds=1), None),
        ("weekly", None, None),
        ("weekly", 3 * DAY, "frequency: weekly"),
        ("weekly", 7 * DAY - timedelta(seconds=1), "frequency: weekly"),
        ("weekly", 7 * DAY, None),  # a gap exactly past is fine
        ("weekly", 8 * DAY, None),
        ("monthly", None, None),
        ("monthly", 8 * DAY, "frequency: monthly"),
        ("monthly", 29 * DAY, "frequency: monthly"),
        ("monthly", 30 * DAY, None),
        ("monthly", 31 * DAY, None),
        (None, DAY, None),  # never chose: every email
        ("daily", DAY, None),  # unknown, as the preference centre reads it: every email
        (7, DAY, None),  # a field holding something else
    ],
)
def test_frequency_skip(frequency: object, ago: timedelta | None, expected: str | None) -> None:
    last = None if ago is None else NOW - ago
    assert frequency_skip(frequency, last, NOW) == expected


def test_every_capped_choice_is_one_the_preference_centre_offers() -> None:
    assert set(GAPS) | {"all"} == set(FREQUENCIES)
