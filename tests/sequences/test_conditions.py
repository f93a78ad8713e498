"""Branch and goal conditions over plain facts; triggers and yearly date fields."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.rules import (
    AllOf,
    AnyOf,
    ApiEvent,
    Attendance,
    BoughtProduct,
    Clicked,
    ClickedLink,
    Condition,
    DateField,
    Facts,
    FieldIs,
    GotTag,
    Happened,
    HasTag,
    JoinedList,
    Not,
    Open,
    Opened,
    Purchased,
    Trigger,
    WebinarIs,
    WebinarTrigger,
    fires,
    holds,
    month_day,
    next_anniversary,
)

FACTS = Facts(
    tags=frozenset({"lead", "Webinar-2026"}),
    fields={"plan": " Pro ", "city": ""},
    clicked=frozenset({"link-7"}),
    purchased=frozenset({"ebook"}),
    webinars={"launch": Attendance.MISSED},
    opens=(Open("m1", proxy=True), Open("m2", proxy=False)),
)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (HasTag("LEAD"), True),
        (HasTag("webinar-2026"), True),
        (HasTag("buyer"), False),
        (FieldIs("plan", "pro"), True),
        (FieldIs("plan", "basic"), False),
        (FieldIs("plan"), True),
        (FieldIs("city"), False),  # set but empty is not set
        (FieldIs("missing"), False),
        (Clicked("link-7"), True),
        (Clicked("link-8"), False),
        (Clicked(), True),
        (Purchased("ebook"), True),
        (Purchased("course"), False),
        (Purchased(), True),
        (WebinarIs(Attendance.MISSED, "launch"), True),
        (WebinarIs(Attendance.REGISTERED, "launch"), True),  # missed implies registered
        (WebinarIs(Attendance.ATTENDED, "launch"), False),
        (WebinarIs(Attendance.ATTENDED), False),
        (WebinarIs(Attendance.REGISTERED, "other"), False),
        (Opened("m1"), False),  # only Apple's proxy fetched m1: not an open
        (Opened("m2"), True),
        (Opened(), True),
        (AllOf((HasTag("lead"), Not(Purchased("course")))), True),
        (AllOf((HasTag("lead"), Purchased("course"))), False),
        (AnyOf((HasTag("buyer"), Clicked("link-7"))), True),
        (Not(AnyOf((HasTag("buyer"), Purchased("course")))), True),
    ],
)
def test_conditions_over_facts(condition: Condition, expected: bool) -> None:
    assert holds(condition, FACTS) is expected


def test_proxy_opens_never_count_however_many() -> None:
    facts = Facts(opens=tuple(Open("m1", proxy=True) for _ in range(50)))
    assert not holds(Opened(), facts)
    assert not holds(Opened("m1"), facts)
    assert holds(Not(Opened()), facts)


def test_nothing_known_is_nothing_held() -> None:
    empty = Facts()
    for condition in (HasTag("a"), FieldIs("a"), Clicked(), Purchased(), Opened()):
        assert not holds(condition, empty)
    assert not holds(WebinarIs(Attendance.REGISTERED), empty)


@pytest.mark.parametrize(
    ("trigger", "happened", "expected"),
    [
        (JoinedList("news"), Happened("joined", "news"), True),
        (JoinedList("news"), Happened("joined", "other"), False),
        (GotTag("Lead"), Happened("tagged", "lead"), True),
        (GotTag("lead"), Happened("joined", "lead"), False),
        (WebinarTrigger(Attendance.ATTENDED, "w1"), Happened("webinar_attended", "w1"), True),
        (WebinarTrigger(Attendance.ATTENDED, "w1"), Happened("webinar_missed", "w1"), False),
        (WebinarTrigger(Attendance.MISSED), Happened("webinar_missed", "w9"), True),
        (WebinarTrigger(Attendance.REGISTERED), Happened("webinar_registered", "w9"), True),
        (ClickedLink("l1"), Happened("clicked", "l1"), True),
        (BoughtProduct(), Happened("bought", "anything"), True),
        (BoughtProduct("course"), Happened("bought", "ebook"), False),
        (ApiEvent("trial_started"), Happened("api", "trial_started"), True),
        (ApiEvent("trial_started"), Happened("api", "trial_ended"), False),
        (DateField("birthday"), Happened("birthday", "1990-05-17"), False),  # fires by clock
    ],
)
def test_triggers_match_their_events(trigger: Trigger, happened: Happened, expected: bool) -> None:
    assert fires(trigger, happened) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1990-05-17", (5, 17)), ("--12-31", (12, 31)), ("02-29", (2, 29)), (" 2000-02-29 ", (2, 29))],
)
def test_month_day_reads_common_spellings(value: str, expected: tuple[int, int]) -> None:
    assert month_day(value) == expected


@pytest.mark.parametrize("value", ["1990-02-30", "13-01", "May 17", "", "1990/05/17"])
def test_month_day_refuses_what_is_not_a_date(value: str) -> None:
    with pytest.raises(SequenceInputError) as caught:
        month_day(value, "birthday")
    assert caught.value.field == "birthday"


TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    ("value", "now", "expected"),
    [
        # 17 May 09:00 in Tokyo is 00:00 UTC; still ahead this year.
        ("1990-05-17", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 5, 17, 0, tzinfo=UTC)),
        # Just after this year's: next year.
        ("1990-05-17", datetime(2026, 5, 17, 0, 1, tzinfo=UTC), datetime(2027, 5, 17, tzinfo=UTC)),
        # 29 February in a common year falls on 28 February; in a leap year on the 29th.
        ("2000-02-29", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 28, 0, tzinfo=UTC)),
        ("2000-02-29", datetime(2027, 3, 1, tzinfo=UTC), datetime(2028, 2, 29, 0, tzinfo=UTC)),
        # 30 December 23:00 UTC is already 31 December 08:00 in Tokyo: one hour to go.
        ("12-31", datetime(2026, 12, 30, 23, tzinfo=UTC), datetime(2026, 12, 31, 0, tzinfo=UTC)),
        # 09:30 on the day in Tokyo (still the 31st's 00:30 in UTC): next year.
        ("12-31", datetime(2026, 12, 31, 0, 30, tzinfo=UTC), datetime(2027, 12, 31, tzinfo=UTC)),
    ],
)
def test_next_anniversary_in_the_subscriber_zone(
    value: str, now: datetime, expected: datetime
) -> None:
    assert next_anniversary(value, now, TOKYO, 9, 0) == expected
