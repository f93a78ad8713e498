"""The schedule rules without a database: specs parsed or refused by name, the sessions offered
across time zones from UTC-12 to UTC+14 and daylight-saving days, and properties that hold for
every schedule, zone and registration instant."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.rules import (
    VIEWER,
    Schedule,
    check_blackouts,
    check_zone,
    describe,
    iso_utc,
    next_sessions,
    parse_schedule,
    parse_spec,
)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _offered(spec: str, zone: str, registered: str, viewer: str, count: int = 3,
             blackouts: tuple[str, ...] = ()) -> list[str]:  # fmt: skip
    schedule = parse_schedule(spec, zone, blackouts)
    return [iso_utc(s) for s in next_sessions(schedule, _at(registered), viewer, count)]


@pytest.mark.parametrize(
    ("spec", "zone", "registered", "viewer", "blackouts", "expected"),
    [
        # Just in time on the quarter hours, the first at least 15 minutes after registering.
        ("jit:15", "viewer", "2026-12-07T14:07:00Z", "America/New_York", (),
         ["2026-12-07T14:30:00Z", "2026-12-07T14:45:00Z", "2026-12-07T15:00:00Z"]),
        ("jit:15", "viewer", "2026-12-07T14:15:00Z", "America/New_York", (),
         ["2026-12-07T14:30:00Z", "2026-12-07T14:45:00Z", "2026-12-07T15:00:00Z"]),
        # The grid is the zone's wall clock: every 45 minutes from midnight in India (UTC+5:30).
        ("jit:45", "viewer", "2026-12-07T14:00:00Z", "Asia/Kolkata", (),
         ["2026-12-07T14:45:00Z", "2026-12-07T15:30:00Z", "2026-12-07T16:15:00Z"]),
        # The grid starts again at midnight: 7 does not divide a day (23:55, then 00:00).
        ("jit:7", "UTC", "2026-12-07T23:41:00Z", "Asia/Tokyo", (),
         ["2026-12-07T23:48:00Z", "2026-12-07T23:55:00Z", "2026-12-08T00:00:00Z"]),
        # UTC+14: already the 8th at home, so 09:00 there is 19:00 UTC on the 7th.
        ("daily:09:00", "viewer", "2026-12-07T14:00:00Z", "Pacific/Kiritimati", (),
         ["2026-12-07T19:00:00Z", "2026-12-08T19:00:00Z", "2026-12-09T19:00:00Z"]),
        # UTC-12: still the 7th at home, 09:00 there is 21:00 UTC.
        ("daily:09:00", "viewer", "2026-12-07T14:00:00Z", "Etc/GMT+12", (),
         ["2026-12-07T21:00:00Z", "2026-12-08T21:00:00Z", "2026-12-09T21:00:00Z"]),
        # A blackout date is a local date of the effective zone (the 8th in Kiritimati).
        ("daily:09:00", "viewer", "2026-12-07T14:00:00Z", "Pacific/Kiritimati", ("2026-12-08",),
         ["2026-12-08T19:00:00Z", "2026-12-09T19:00:00Z", "2026-12-10T19:00:00Z"]),
        # A fixed zone ignores the viewer's: 10:00 in Berlin (UTC+1 in winter).
        ("daily:10:00,16:30", "Europe/Berlin", "2026-12-07T12:00:00Z", "Pacific/Kiritimati", (),
         ["2026-12-07T15:30:00Z", "2026-12-08T09:00:00Z", "2026-12-08T15:30:00Z"]),
        # Daily and weekly: strictly after registering; a session starting that instant is gone.
        ("daily:10:00", "UTC", "2026-12-07T10:00:00Z", "UTC", (),
         ["2026-12-08T10:00:00Z", "2026-12-09T10:00:00Z", "2026-12-10T10:00:00Z"]),
        # Weekly on Mondays and Wednesdays (7 December 2026 is a Monday), one blacked out.
        ("weekly:mon,wed:18:00", "America/New_York", "2026-12-07T12:00:00Z", "UTC",
         ("2026-12-09",),
         ["2026-12-07T23:00:00Z", "2026-12-14T23:00:00Z", "2026-12-16T23:00:00Z"]),
        # London springs forward on 29 March 2026 (01:00 → 02:00): 01:30 does not exist, skipped.
        ("daily:01:30", "Europe/London", "2026-03-27T12:00:00Z", "UTC", (),
         ["2026-03-28T01:30:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"]),
        # London falls back on 25 October 2026: 01:30 happens twice and starts once, at BST.
        ("daily:01:30", "Europe/London", "2026-10-24T12:00:00Z", "UTC", (),
         ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z", "2026-10-27T01:30:00Z"]),
        # New York springs forward on 8 March 2026 (02:00 → 03:00): no 02:30 session that day.
        ("daily:02:30", "viewer", "2026-03-07T12:00:00Z", "America/New_York", (),
         ["2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z", "2026-03-11T06:30:00Z"]),
        # Business hours: registering Friday 16:50 in New York, the 17:00 slot is past closing
        # (a session starts before 17:00), so the next is Monday's first slot at 09:00.
        ("jit:30@09:00-17:00,mon-fri", "America/New_York", "2026-12-11T21:50:00Z", "UTC", (),
         ["2026-12-14T14:00:00Z", "2026-12-14T14:30:00Z", "2026-12-14T15:00:00Z"]),
        # Inside the hours it is plain just in time; the last slot of the day is 16:30.
        ("jit:30@09:00-17:00", "viewer", "2026-12-07T20:50:00Z", "America/New_York", (),
         ["2026-12-07T21:30:00Z", "2026-12-08T14:00:00Z", "2026-12-08T14:30:00Z"]),
        # The window's first grid time, not its opening minute: 09:10 opens, 09:15 is on the grid.
        ("jit:15@09:10-10:00", "UTC", "2026-12-07T08:00:00Z", "UTC", (),
         ["2026-12-07T09:15:00Z", "2026-12-07T09:30:00Z", "2026-12-07T09:45:00Z"]),
        # Specific dates, typed out of order, read in the fixed zone; the past one is not offered.
        ("dates:2026-12-12T09:30,2026-12-10T18:00,2026-12-01T10:00", "Europe/Berlin",
         "2026-12-07T12:00:00Z", "UTC", (), ["2026-12-10T17:00:00Z", "2026-12-12T08:30:00Z"]),
        # In the viewer's zone, and a blacked-out date drops its session.
        ("dates:2026-12-10T18:00,2026-12-11T18:00,2026-12-12T18:00", "viewer",
         "2026-12-07T12:00:00Z", "Pacific/Kiritimati", ("2026-12-11",),
         ["2026-12-10T04:00:00Z", "2026-12-12T04:00:00Z"]),
        # A specific date that New York skips is not offered to a viewer there.
        ("dates:2026-03-08T02:30,2026-03-09T02:30", "viewer", "2026-03-01T00:00:00Z",
         "America/New_York", (), ["2026-03-09T06:30:00Z"]),
        # Just in time across the gap: 01:30 EST, then 03:00 EDT, half an hour later in UTC.
        ("jit:30", "America/New_York", "2026-03-08T06:00:00Z", "UTC", (),
         ["2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z"]),
        # Just in time across the fall back (1 November 2026): 01:30 EDT, then 02:00 EST.
        ("jit:30", "America/New_York", "2026-11-01T05:00:00Z", "UTC", (),
         ["2026-11-01T05:30:00Z", "2026-11-01T07:00:00Z", "2026-11-01T07:30:00Z"]),
        # A registration time with an offset is the same instant as in UTC.
        ("daily:09:00", "UTC", "2026-12-07T10:30:00+01:00", "UTC", (),
         ["2026-12-08T09:00:00Z", "2026-12-09T09:00:00Z", "2026-12-10T09:00:00Z"]),
    ],
)  # fmt: skip
def test_sessions_offered(
    spec: str,
    zone: str,
    registered: str,
    viewer: str,
    blackouts: tuple[str, ...],
    expected: list[str],
) -> None:
    assert _offered(spec, zone, registered, viewer, 3, blackouts) == expected


def test_a_registration_without_an_offset_is_read_as_utc() -> None:
    assert _offered("jit:60", "UTC", "2026-12-07T10:00:00", "UTC", 1) == ["2026-12-07T11:00:00Z"]


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("jit:15", "jit:15"),
        (" JIT:5 ", "jit:5"),
        ("jit:1440", "jit:1440"),
        ("daily:9:00", "daily:09:00"),
        ("daily:19:30, 09:00,19:30", "daily:09:00,19:30"),
        ("weekly:wed,Mon:10:00", "weekly:mon,wed:10:00"),
        ("weekly:friday:08:15,20:00", "weekly:fri:08:15,20:00"),
        ("weekly:mon-wed:10:00", "weekly:mon,tue,wed:10:00"),
        ("jit:30@9:00-17:00", "jit:30@09:00-17:00"),
        ("jit:30@09:00-17:00,Friday,mon-thu", "jit:30@09:00-17:00,mon-fri"),
        ("jit:30@09:00-17:00,sat,sun,mon", "jit:30@09:00-17:00,mon,sat,sun"),
        ("jit:30@09:00-17:00,fri-mon", "jit:30@09:00-17:00,mon,fri-sun"),
        ("jit:30@00:00-24:00", "jit:30"),
        ("jit:30@00:00-24:00,mon-sun", "jit:30"),
        ("jit:20@22:00-24:00,sat", "jit:20@22:00-24:00,sat"),
        (
            "dates:2026-12-12T9:30, 2026-12-10 18:00,2026-12-12T09:30",
            "dates:2026-12-10T18:00,2026-12-12T09:30",
        ),
    ],
)
def test_specs_are_stored_one_canonical_way(text: str, canonical: str) -> None:
    assert parse_spec(text).text == canonical


@pytest.mark.parametrize(
    ("spec", "zone", "blackouts", "field", "fragment"),
    [
        ("jit:0", "viewer", (), "schedule", "from 5 to 1440"),
        ("jit:4", "viewer", (), "schedule", "from 5 to 1440"),
        ("jit:1441", "viewer", (), "schedule", "from 5 to 1440"),
        ("jit:", "viewer", (), "schedule", "whole number"),
        ("jit:1.5", "viewer", (), "schedule", "whole number"),
        ("jit:\u0661\u0665", "viewer", (), "schedule", "whole number"),
        ("daily:25:00", "viewer", (), "schedule", "not a time of day"),
        ("daily:10:60", "viewer", (), "schedule", "not a time of day"),
        ("daily:", "viewer", (), "schedule", "not a time"),
        ("daily:10", "viewer", (), "schedule", "not a time"),
        ("daily:" + ",".join(f"{h:02d}:{m:02d}" for h in range(13) for m in (0, 30)), "viewer",
         (), "schedule", "at most 24"),
        ("weekly:funday:10:00", "viewer", (), "schedule", "'funday' is not a weekday"),
        ("weekly:mon", "viewer", (), "schedule", "weekdays and times"),
        ("monthly:1:10:00", "viewer", (), "schedule", "is not a schedule"),
        ("10:00", "viewer", (), "schedule", "is not a schedule"),
        ("", "viewer", (), "schedule", "is not a schedule"),
        ("jit:30@09:00", "viewer", (), "schedule", "business hours are HH:MM-HH:MM"),
        ("jit:30@17:00-09:00", "viewer", (), "schedule", "must end after they begin"),
        ("jit:30@09:00-09:00", "viewer", (), "schedule", "must end after they begin"),
        ("jit:30@09:00-24:30", "viewer", (), "schedule", "not a time of day"),
        ("jit:30@24:00-24:00", "viewer", (), "schedule", "not a time of day"),
        ("jit:60@09:10-09:50", "viewer", (), "schedule", "no session every 60 minutes"),
        ("jit:30@09:00-17:00,weekdays", "viewer", (), "schedule", "'weekdays' is not a weekday"),
        ("jit:30@09:00-17:00,", "viewer", (), "schedule", "is not a weekday"),
        ("dates:", "viewer", (), "schedule", "is not a date and time"),
        ("dates:2026-12-10", "viewer", (), "schedule", "'2026-12-10' is not a date and time"),
        ("dates:2026-02-30T10:00", "viewer", (), "schedule", "is not a date and time"),
        ("dates:2026-12-10T25:00", "viewer", (), "schedule", "not a time of day"),
        ("dates:" + ",".join(f"2026-12-{d:02d}T{h:02d}:00" for d in range(1, 22)
                             for h in range(5)), "viewer", (), "schedule", "more than 100"),
        ("dates:2026-03-08T02:30", "America/New_York", (), "schedule",
         "2026-03-08T02:30 does not exist in America/New_York"),
        ("jit:15", "Mars/Olympus_Mons", (), "timezone", "unknown time zone"),
        ("jit:15", "../../etc/passwd", (), "timezone", "is not a time zone"),
        ("jit:15", "", (), "timezone", "is required"),
        ("jit:15", "Europe", (), "timezone", "unknown time zone"),
        ("jit:15", "viewer", ("2026-02-30",), "blackout_dates", "not a date"),
        ("jit:15", "viewer", ("07/12/2026",), "blackout_dates", "not a date"),
        ("jit:15", "viewer", ("20261207",), "blackout_dates", "not a date"),
    ],
)  # fmt: skip
def test_bad_schedules_are_refused_by_name(
    spec: str, zone: str, blackouts: tuple[str, ...], field: str, fragment: str
) -> None:
    with pytest.raises(WebinarInputError) as refused:
        parse_schedule(spec, zone, blackouts)
    assert refused.value.field == field
    assert fragment in refused.value.message


def test_the_viewer_zone_must_be_a_real_zone_and_not_viewer() -> None:
    schedule = parse_schedule("jit:15", "UTC")
    for bad in ("viewer", "Nowhere/City", ""):
        with pytest.raises(WebinarInputError) as refused:
            next_sessions(schedule, _at("2026-12-07T10:00:00Z"), bad, 1)
        assert refused.value.field == "viewer_timezone"


@pytest.mark.parametrize(
    ("registered", "count", "field"),
    [
        ("1969-12-31T23:59:00Z", 1, "registered_at"),
        ("9500-01-01T00:00:00Z", 1, "registered_at"),
        ("2026-12-07T10:00:00Z", 0, "count"),
        ("2026-12-07T10:00:00Z", 101, "count"),
    ],
)
def test_registration_instant_and_count_are_bounded(
    registered: str, count: int, field: str
) -> None:
    with pytest.raises(WebinarInputError) as refused:
        next_sessions(parse_schedule("daily:10:00", "UTC"), _at(registered), "UTC", count)
    assert refused.value.field == field


def test_a_schedule_with_no_session_within_400_days_is_an_error_not_an_endless_loop() -> None:
    days = [(date(2026, 12, 7) + timedelta(days=n)).isoformat() for n in range(402)]
    schedule = parse_schedule("daily:10:00", "Europe/Paris", days)
    with pytest.raises(WebinarInputError) as refused:
        next_sessions(schedule, _at("2026-12-07T00:00:00Z"), "UTC", 1)
    assert refused.value.field == "schedule"
    assert "no session within 400 days" in refused.value.message
    # Every Monday blacked out for 60 weeks: the one listed weekday never comes.
    mondays = [(date(2026, 12, 7) + timedelta(weeks=n)).isoformat() for n in range(60)]
    weekly = parse_schedule("weekly:mon:10:00", "UTC", mondays)
    with pytest.raises(WebinarInputError, match="no session within 400 days"):
        next_sessions(weekly, _at("2026-12-06T00:00:00Z"), "UTC", 1)
    # A later session beyond the window is refused too, naming where the search stopped.
    first_only = parse_schedule("weekly:mon:10:00", "UTC", mondays[1:])
    with pytest.raises(WebinarInputError, match="after 2026-12-07T10:00:00Z"):
        next_sessions(first_only, _at("2026-12-06T00:00:00Z"), "UTC", 2)


def test_specific_dates_all_past_is_an_error_and_the_last_ones_are_offered_alone() -> None:
    schedule = parse_schedule("dates:2026-12-10T18:00,2026-12-12T09:30", "UTC")
    last = next_sessions(schedule, _at("2026-12-11T00:00:00Z"), "UTC", 3)
    assert [iso_utc(s) for s in last] == ["2026-12-12T09:30:00Z"]
    with pytest.raises(WebinarInputError) as refused:
        next_sessions(schedule, _at("2026-12-12T09:30:00Z"), "UTC", 1)
    assert refused.value.field == "schedule"
    assert "every listed date has passed" in refused.value.message
    # A date still ahead that is blacked out, or skipped by the viewer's clocks, has not passed.
    blacked = parse_schedule("dates:2026-12-10T18:00,2026-12-12T09:30", "UTC", ["2026-12-12"])
    with pytest.raises(WebinarInputError, match="blackout dates or do not exist in UTC"):
        next_sessions(blacked, _at("2026-12-11T00:00:00Z"), "UTC", 1)
    gap = parse_schedule("dates:2027-03-28T02:30", VIEWER)
    with pytest.raises(WebinarInputError, match="do not exist in Europe/Berlin"):
        next_sessions(gap, _at("2026-12-11T00:00:00Z"), "Europe/Berlin", 1)
    assert [
        iso_utc(s) for s in next_sessions(gap, _at("2026-12-11T00:00:00Z"), "Europe/London", 1)
    ] == ["2027-03-28T01:30:00Z"]
    # A hundred dates fit in the stored spec.
    many = ",".join(f"2027-{m:02d}-{d:02d}T10:00" for m in range(1, 11) for d in range(1, 11))
    assert len(parse_spec("dates:" + many).moments) == 100


def test_a_twice_happening_specific_date_starts_at_its_first_occurrence() -> None:
    schedule = parse_schedule("dates:2026-10-25T01:30", "Europe/London")
    start = next_sessions(schedule, _at("2026-10-01T00:00:00Z"), "UTC", 1)
    assert [iso_utc(s) for s in start] == ["2026-10-25T00:30:00Z"]


def test_blackouts_are_sorted_and_distinct_and_bounded() -> None:
    assert check_blackouts(["2026-12-09", " 2026-12-08", "2026-12-09", ""]) == (
        date(2026, 12, 8),
        date(2026, 12, 9),
    )
    many = [(date(2026, 1, 1) + timedelta(days=n)).isoformat() for n in range(1001)]
    with pytest.raises(WebinarInputError, match="at most 1000"):
        check_blackouts(many)


def test_zones_viewer_and_iana() -> None:
    assert check_zone(" Viewer ") == VIEWER
    assert check_zone("America/Argentina/Buenos_Aires") == "America/Argentina/Buenos_Aires"
    assert check_zone("Etc/GMT+12") == "Etc/GMT+12"


def test_a_schedule_in_words() -> None:
    assert describe(parse_schedule("jit:15", "viewer")) == (
        "Every 15 minutes on the clock, the first at least 15 minutes after registering, "
        "in each viewer's own time."
    )
    assert describe(parse_schedule("weekly:mon,wed,fri:10:00,18:30", "Europe/London",
                                   ["2026-12-25", "2026-12-26"])) == (
        "Mondays, Wednesdays and Fridays at 10:00 and 18:30, in Europe/London time; "
        "none on 2 blacked-out dates."
    )  # fmt: skip
    assert describe(parse_schedule("jit:30@09:00-17:00,mon-fri", "America/New_York")) == (
        "Every 30 minutes on the clock from 09:00 to 17:00 on Mondays to Fridays, the first at "
        "least 30 minutes after registering, in America/New_York time."
    )
    assert describe(parse_schedule("jit:20@18:00-24:00,sat,sun", "viewer")) == (
        "Every 20 minutes on the clock from 18:00 to 24:00 on Saturdays and Sundays, the first "
        "at least 20 minutes after registering, in each viewer's own time."
    )
    assert describe(parse_schedule("dates:2026-12-12T09:30,2026-12-10T18:00", "UTC")) == (
        "On 10 December 2026 at 18:00 and 12 December 2026 at 09:30 (past ones are not "
        "offered), in UTC time."
    )
    many = ",".join(f"2027-01-{d:02d}T10:00" for d in range(1, 11))
    assert describe(parse_schedule("dates:" + many, "viewer")) == (
        "On 10 specific dates from 1 January 2027 at 10:00 to 10 January 2027 at 10:00 (past "
        "ones are not offered), in each viewer's own time."
    )


# --- Properties --------------------------------------------------------------------------------

ZONES = (
    "UTC",
    "Europe/London",
    "America/New_York",
    "Pacific/Kiritimati",  # UTC+14
    "Etc/GMT+12",  # UTC-12
    "Etc/GMT-14",
    "Australia/Lord_Howe",  # a half-hour daylight-saving shift
    "Asia/Kathmandu",  # UTC+5:45
    "Pacific/Chatham",  # UTC+12:45 / +13:45
    "America/St_Johns",  # UTC-3:30 / -2:30
    "Pacific/Apia",  # skipped 30 December 2011 entirely
    "America/Santiago",  # DST changes at midnight: some days have no 00:00
)
# Instants near daylight-saving changes, where the rules are most likely to go wrong.
TRANSITIONS = tuple(
    _at(text)
    for text in (
        "2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z",  # Europe/London
        "2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z",  # America/New_York
        "2026-04-04T15:00:00Z", "2026-10-03T15:00:00Z",  # Australia/Lord_Howe
        "2026-04-05T03:00:00Z", "2026-09-06T04:00:00Z",  # America/Santiago
        "2011-12-29T10:00:00Z",  # Pacific/Apia's missing day
    )
)  # fmt: skip

times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45, 59]))
specs = st.one_of(
    st.integers(5, 1440).map(lambda n: f"jit:{n}"),
    st.lists(times, min_size=1, max_size=24, unique=True).map(
        lambda ts: "daily:" + ",".join(t.strftime("%H:%M") for t in ts)
    ),
    st.tuples(
        st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
                 min_size=1, max_size=7, unique=True),
        st.lists(times, min_size=1, max_size=4, unique=True),
    ).map(lambda p: f"weekly:{','.join(p[0])}:{','.join(t.strftime('%H:%M') for t in p[1])}"),
)  # fmt: skip
weekday_sets = st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True)


@st.composite
def business_hours(draw: st.DrawFn) -> str:
    """jit:N inside hours that hold at least one grid time, on some weekdays or every day."""
    every = draw(st.integers(5, 1440))
    slot = every * draw(st.integers(0, (1439 // every)))
    opening = slot - draw(st.integers(0, slot))
    closing = slot + 1 + draw(st.integers(0, 1439 - slot))
    clock = [f"{m // 60:02d}:{m % 60:02d}" for m in (opening, closing)]
    days = draw(st.one_of(st.just(""), weekday_sets.map(
        lambda ds: "," + ",".join(("mon", "tue", "wed", "thu", "fri", "sat", "sun")[d] for d in ds)
    )))  # fmt: skip
    return f"jit:{every}@{clock[0]}-{clock[1]}{days}"


specs = st.one_of(specs, business_hours())
registrations = st.one_of(
    st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1), timezones=st.just(UTC)),
    st.tuples(st.sampled_from(TRANSITIONS), st.integers(-3 * 1440, 3 * 1440)).map(
        lambda p: p[0] + timedelta(minutes=p[1])
    ),
)


@given(
    spec=specs,
    zone=st.sampled_from((VIEWER, *ZONES)),
    viewer=st.sampled_from(ZONES),
    registered=registrations,
    blackout_days=st.lists(st.integers(-1, 12), max_size=6),
    count=st.integers(1, 4),
)
def test_every_offered_session_keeps_the_rules(
    spec: str,
    zone: str,
    viewer: str,
    registered: datetime,
    blackout_days: list[int],
    count: int,
) -> None:
    local_zone = ZoneInfo(viewer if zone == VIEWER else zone)
    home = registered.astimezone(local_zone).date()
    blackouts = [(home + timedelta(days=n)).isoformat() for n in blackout_days]
    schedule = parse_schedule(spec, zone, blackouts)
    starts = next_sessions(schedule, registered, viewer, count)
    assert len(starts) == count
    assert all(a < b for a, b in itertools.pairwise(starts))
    lead = schedule.spec.lead
    for start in starts:
        assert start.utcoffset() == timedelta(0)
        assert start > registered
        assert start >= registered + lead
        _assert_on_schedule(schedule, start.astimezone(local_zone))
    # Nothing was skipped: every minute between the earliest allowed and the last offered
    # that is on the schedule (its first occurrence) is offered.
    earliest = max(registered + lead, registered + timedelta(microseconds=1))
    minute = earliest.replace(second=0, microsecond=0)
    if minute < earliest:
        minute += timedelta(minutes=1)
    if starts[-1] - minute <= timedelta(days=3):
        expected = []
        while minute <= starts[-1]:
            local = minute.astimezone(local_zone)
            if local.fold == 0 and _on_schedule(schedule, local):
                expected.append(minute)
            minute += timedelta(minutes=1)
        assert expected == list(starts)


def _on_schedule(schedule: Schedule, local: datetime) -> bool:
    spec = schedule.spec
    if local.second or local.microsecond or local.date() in schedule.blackouts:
        return False
    minute = local.hour * 60 + local.minute
    if spec.weekdays and local.weekday() not in spec.weekdays:
        return False
    if spec.kind == "jit":
        return minute % spec.every == 0 and spec.hours[0] <= minute < spec.hours[1]
    if spec.kind == "dates":
        return local.replace(tzinfo=None, fold=0) in spec.moments
    return local.time().replace(tzinfo=None) in spec.times


def _assert_on_schedule(schedule: Schedule, local: datetime) -> None:
    assert _on_schedule(schedule, local), (schedule.spec.text, local.isoformat())
    # Its first occurrence: a wall time that happens twice starts at fold=0 only.
    assert local.fold == 0


@given(
    offsets=st.lists(st.integers(-3 * 1440, 6 * 1440), min_size=1, max_size=12),
    zone=st.sampled_from((VIEWER, *ZONES)),
    viewer=st.sampled_from(ZONES),
    registered=registrations,
    count=st.integers(1, 4),
)
def test_specific_dates_offer_the_next_ones_that_exist(
    offsets: list[int], zone: str, viewer: str, registered: datetime, count: int
) -> None:
    local_zone = ZoneInfo(viewer if zone == VIEWER else zone)
    home = registered.astimezone(local_zone).replace(tzinfo=None, second=0, microsecond=0)
    walls = [home + timedelta(minutes=n) for n in offsets]
    spec = "dates:" + ",".join(w.strftime("%Y-%m-%dT%H:%M") for w in walls)
    real = [w.replace(tzinfo=local_zone) for w in walls]
    exists = [w for w in real if w.astimezone(UTC).astimezone(local_zone) == w]
    if zone != VIEWER and len(exists) < len(real):
        with pytest.raises(WebinarInputError, match="does not exist in"):
            parse_schedule(spec, zone)
        return
    expected = sorted({w.astimezone(UTC) for w in exists if w.astimezone(UTC) > registered})
    schedule = parse_schedule(spec, zone)
    assert parse_spec(schedule.spec.text) == schedule.spec  # the canonical form round-trips
    if not expected:
        skipped_ahead = any(w not in exists and w.astimezone(UTC) > registered for w in real)
        why = "do not exist in" if skipped_ahead else "every listed date has passed"
        with pytest.raises(WebinarInputError, match=why):
            next_sessions(schedule, registered, viewer, count)
        return
    starts = next_sessions(schedule, registered, viewer, count)
    assert list(starts) == expected[:count]
    for start in starts:
        _assert_on_schedule(schedule, start.astimezone(local_zone))


@given(spec=specs)
def test_every_spec_round_trips_through_its_canonical_text(spec: str) -> None:
    parsed = parse_spec(spec)
    assert parse_spec(parsed.text) == parsed
    assert parse_spec(parsed.text).text == parsed.text
