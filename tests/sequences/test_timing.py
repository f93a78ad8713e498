"""When a wait is over: examples by hand, DST gaps and overlaps, and properties over zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.preview import MAX_DAYS
from evergreen.sequences.rules import (
    ENDS,
    Do,
    Facts,
    Program,
    Send,
    Wait,
    WaitRelative,
    WaitUntil,
    Window,
    advance,
    due_after_wait,
    dump_position,
    in_range,
    local_instant,
    make_program,
    parse_position,
    start,
    timeline,
    zone_for,
)
from evergreen.sequences.rules.program import MAX_WAIT
from evergreen.sequences.rules.timing import EARLIEST, LATEST
from tests.sequences.zones import zone_and_instant

MON, TUE, SUN = 0, 1, 6
WEEKDAYS_ONLY = frozenset(range(5))


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_a_duration_is_elapsed_time_from_the_previous_step() -> None:
    now = _utc(2026, 3, 7, 12)
    assert due_after_wait(now, Wait(timedelta(days=2)), "America/New_York", {}) == _utc(
        2026, 3, 9, 12
    )


@pytest.mark.parametrize(
    ("now", "expected", "why"),
    [
        (_utc(2026, 3, 2, 15), _utc(2026, 3, 3, 14), "Monday 10:00 EST: Tuesday 09:00 EST"),
        (_utc(2026, 3, 3, 13), _utc(2026, 3, 3, 14), "Tuesday 08:00: today at 09:00"),
        (_utc(2026, 3, 3, 14), _utc(2026, 3, 3, 14), "exactly 09:00: due now, not next week"),
        (_utc(2026, 3, 3, 15), _utc(2026, 3, 10, 13), "Tuesday 10:00: next Tuesday (now EDT)"),
    ],
)
def test_weekday_and_hour_in_the_subscriber_zone(
    now: datetime, expected: datetime, why: str
) -> None:
    step = WaitUntil(frozenset({TUE}), 9)
    assert due_after_wait(now, step, "America/New_York", {}) == expected, why


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Pacific/Kiritimati", _utc(2026, 3, 2, 19)),  # already Tuesday 01:00 there
        ("Etc/GMT+12", _utc(2026, 3, 3, 21)),  # still Sunday 23:00 there
        ("Asia/Kolkata", _utc(2026, 3, 3, 3, 30)),
    ],
)
def test_the_weekday_is_the_subscribers_not_utcs(zone: str, expected: datetime) -> None:
    now = _utc(2026, 3, 2, 11)  # Monday in UTC
    assert due_after_wait(now, WaitUntil(frozenset({TUE}), 9), zone, {}) == expected


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected_local", "expected_utc"),
    [
        # Spring forward: 02:30 does not exist; it moves forward by the gap to 03:30 EDT.
        ("America/New_York", (2026, 3, 8), time(2, 30), time(3, 30), _utc(2026, 3, 8, 7, 30)),
        # Fall back: 01:30 happens twice; the first (EDT) is taken.
        ("America/New_York", (2026, 11, 1), time(1, 30), time(1, 30), _utc(2026, 11, 1, 5, 30)),
        # Lord Howe's 30-minute gap: 02:15 becomes 02:45 (+11:00).
        ("Australia/Lord_Howe", (2026, 10, 4), time(2, 15), time(2, 45), _utc(2026, 10, 3, 15, 45)),
        # Europe/London at 01:30 on the spring-forward day becomes 02:30 BST.
        ("Europe/London", (2026, 3, 29), time(1, 30), time(2, 30), _utc(2026, 3, 29, 1, 30)),
    ],
)
def test_dst_gap_shifts_forward_and_overlap_takes_the_first(
    zone: str,
    day: tuple[int, int, int],
    at: time,
    expected_local: time,
    expected_utc: datetime,
) -> None:
    instant = local_instant(date(*day), at, ZoneInfo(zone))
    assert instant == expected_utc
    assert instant.astimezone(ZoneInfo(zone)).time() == expected_local
    # The same through a WaitUntil reached the day before.
    step = WaitUntil(frozenset({date(*day).weekday()}), at.hour, at.minute)
    assert due_after_wait(expected_utc - timedelta(hours=20), step, zone, {}) == expected_utc


def test_overlap_when_the_first_occurrence_has_passed_waits_a_week() -> None:
    """At the second 01:30 (EST), a wait for Sunday 01:30 is next Sunday: never sent twice."""
    second = _utc(2026, 11, 1, 6, 30)
    step = WaitUntil(frozenset({SUN}), 1, 30)
    assert due_after_wait(second, step, "America/New_York", {}) == _utc(2026, 11, 8, 6, 30)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (_utc(2026, 6, 6, 12), _utc(2026, 6, 8, 8)),  # Saturday: Monday 09:00 BST
        (_utc(2026, 6, 10, 9), _utc(2026, 6, 10, 9)),  # Wednesday 10:00 BST: inside, now
        (_utc(2026, 6, 10, 17), _utc(2026, 6, 11, 8)),  # Wednesday 18:00: Thursday 09:00
        (_utc(2026, 6, 12, 15, 59), _utc(2026, 6, 12, 15, 59)),  # Friday 16:59: just inside
        (_utc(2026, 6, 12, 16), _utc(2026, 6, 15, 8)),  # Friday 17:00 (end is exclusive)
    ],
)
def test_a_window_without_an_hour_is_the_earliest_moment_inside_it(
    now: datetime, expected: datetime
) -> None:
    step = WaitUntil(WEEKDAYS_ONLY, None, 0, Window(9, 17))
    assert due_after_wait(now, step, "Europe/London", {}) == expected


def test_a_window_that_falls_entirely_in_a_dst_gap_is_skipped_that_day() -> None:
    step = WaitUntil(frozenset(range(7)), None, 0, Window(2, 3))
    now = _utc(2026, 3, 8, 5)  # Sunday 00:00 EST, the spring-forward day
    assert due_after_wait(now, step, "America/New_York", {}) == _utc(2026, 3, 9, 6)  # Mon 02:00


@pytest.mark.parametrize(
    "zone", [None, "", "  ", "Mars/Olympus_Mons", "../etc/passwd", "x" * 3000, "Europe"]
)
def test_an_empty_or_unknown_zone_uses_the_default(zone: str | None) -> None:
    now = _utc(2026, 3, 2, 11)
    step = WaitUntil(frozenset({TUE}), 9)
    berlin = due_after_wait(now, step, "Europe/Berlin", {})
    assert due_after_wait(now, step, zone, {}, default_zone="Europe/Berlin") == berlin
    assert berlin == _utc(2026, 3, 3, 8)


def test_a_bad_default_zone_is_named() -> None:
    with pytest.raises(SequenceInputError) as caught:
        zone_for(None, "Nowhere/City")
    assert caught.value.field == "default_zone"


def test_now_without_a_zone_is_refused() -> None:
    with pytest.raises(SequenceInputError) as caught:
        due_after_wait(datetime(2026, 1, 1), Wait(timedelta(hours=1)), None, {})
    assert caught.value.field == "now"


SESSION = _utc(2026, 5, 20, 18)
BEFORE = WaitRelative("webinar_session", timedelta(minutes=-15))


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (SESSION - timedelta(days=2), SESSION - timedelta(minutes=15)),
        (SESSION - timedelta(minutes=5), SESSION - timedelta(minutes=5)),  # passed: due now
        (SESSION + timedelta(hours=1), SESSION + timedelta(hours=1)),
    ],
)
def test_relative_to_an_event_and_due_now_once_the_moment_passed(
    now: datetime, expected: datetime
) -> None:
    assert due_after_wait(now, BEFORE, "Asia/Kolkata", {"webinar_session": SESSION}) == expected


def test_relative_to_an_unknown_event_has_no_due_time_yet() -> None:
    assert due_after_wait(SESSION, BEFORE, None, {"other": SESSION}) is None


# Properties over zones UTC-12 … UTC+14 and instants near their DST changes.

weekday_sets = st.frozensets(st.integers(0, 6), min_size=1)


@given(
    zone_and_instant(),
    weekday_sets,
    st.integers(0, 23),
    st.integers(0, 59),
    st.one_of(st.none(), st.tuples(st.integers(0, 23), st.integers(1, 24))),
)
def test_property_weekday_hour_lands_on_the_asked_weekday_and_hour(
    zi: tuple[str, datetime],
    weekdays: frozenset[int],
    hour: int,
    minute: int,
    around: tuple[int, int] | None,
) -> None:
    name, now = zi
    zone = ZoneInfo(name)
    window = None
    if around is not None:  # a window that holds the hour, as the validator requires
        window = Window(min(hour, around[0]), max(hour + 1, min(24, around[0] + around[1])))
    due = due_after_wait(now, WaitUntil(weekdays, hour, minute, window), name, {})
    assert due is not None
    assert due >= now
    assert due - now <= timedelta(days=7, hours=1)
    local = due.astimezone(zone)
    assert local.weekday() in weekdays
    asked = datetime.combine(local.date(), time(hour, minute), tzinfo=zone)
    exists = asked.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == asked.replace(
        tzinfo=None
    )
    if exists:
        assert (local.hour, local.minute) == (hour, minute)
        if window is not None:
            assert window.start <= local.hour < window.end
    else:  # the DST gap: shifted forward by the gap's length, the same local day
        assert local.date() == asked.date()
        assert local.replace(tzinfo=None) > asked.replace(tzinfo=None)
    assert due == local_instant(local.date(), time(hour, minute), zone)


@given(zone_and_instant(), weekday_sets, st.integers(0, 23), st.integers(1, 24))
def test_property_window_lands_inside_it_and_is_now_when_now_is_inside(
    zi: tuple[str, datetime], weekdays: frozenset[int], start: int, length: int
) -> None:
    name, now = zi
    end = min(24, start + length)
    zone = ZoneInfo(name)
    due = due_after_wait(now, WaitUntil(weekdays, None, 0, Window(start, end)), name, {})
    assert due is not None
    assert due >= now
    assert due - now <= timedelta(days=8)
    local = due.astimezone(zone)
    assert local.weekday() in weekdays
    assert start <= local.hour < end
    here = now.astimezone(zone)
    if here.weekday() in weekdays and start <= here.hour < end:
        assert due == now


@given(
    zone_and_instant(),
    st.integers(-7 * 86400, 7 * 86400),
    st.integers(-7 * 86400, 7 * 86400),
)
def test_property_relative_is_the_event_moment_or_now(
    zi: tuple[str, datetime], event_shift: int, offset: int
) -> None:
    name, now = zi
    event = now + timedelta(seconds=event_shift)
    step = WaitRelative("session", timedelta(seconds=offset))
    due = due_after_wait(now, step, name, {"session": event})
    assert due == max(now, event + timedelta(seconds=offset))


@given(zone_and_instant(), st.integers(1, 30 * 86400))
def test_property_a_duration_ignores_dst(zi: tuple[str, datetime], seconds: int) -> None:
    name, now = zi
    due = due_after_wait(now, Wait(timedelta(seconds=seconds)), name, {})
    assert due is not None
    assert (due - now).total_seconds() == seconds


# The same rules as the scheduler runs them: ticks at a cadence, the position stored between.


def _walk(
    program: Program, zone: str, begin: datetime, cadence: timedelta, ticks: int
) -> list[tuple[str, datetime, datetime]]:
    """Tick every `cadence` from `begin` as run_due does (advance until it waits, the position
    stored and read back between ticks, every tick run twice); the sends as (step, due, tick)."""
    stored = dump_position(start(program, begin))
    sends: list[tuple[str, datetime, datetime]] = []
    facts = Facts(frozenset(), {})
    for k in range(ticks):
        now = begin + k * cadence
        for again in (False, True):
            position = parse_position(stored)
            due = position.due
            for _ in range(4 * len(program.steps) + 4):
                outcome = advance(program, position, facts, now, zone)
                if outcome.do is Do.SEND and isinstance(outcome.step, Send):
                    assert not again, "a second tick at the same instant sent again"
                    assert due is not None
                    sends.append((outcome.step.id, due, now))
                position = outcome.position
                if outcome.do is Do.WAIT or outcome.do in ENDS:
                    break
                due = position.due
            stored = dump_position(position)
        if position.step_id is None:
            break
    return sends


@given(
    zone_and_instant(),
    weekday_sets,
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(1, 72),
    st.integers(1, 180),
)
def test_property_ticking_across_dst_sends_each_step_once_on_time_in_the_local_hour(
    zi: tuple[str, datetime],
    weekdays: frozenset[int],
    hour: int,
    minute: int,
    hours: int,
    cadence_minutes: int,
) -> None:
    """Zones from UTC-12 to UTC+14, near their DST changes: a weekday-and-hour send, then a
    duration, then another: each goes exactly once, in order, at the first tick at or after its
    due moment, the first in the asked local hour (or the DST gap's shift)."""
    name, begin = zi
    zone = ZoneInfo(name)
    program = make_program(
        [
            WaitUntil(weekdays, hour, minute),
            Send("first"),
            Wait(timedelta(hours=hours)),
            Send("second"),
        ]
    )
    cadence = timedelta(minutes=cadence_minutes)
    horizon = timedelta(days=7, hours=hours + 2) + 2 * cadence
    sends = _walk(program, name, begin, cadence, int(horizon / cadence) + 1)
    assert [step for step, _, _ in sends] == [program.steps[1].id, program.steps[3].id]
    (_, first_due, first_tick), (_, second_due, second_tick) = sends
    for due, tick in sends[0][1:], sends[1][1:]:
        assert due <= tick < due + cadence  # never early, never skipped past a tick
    local = first_due.astimezone(zone)
    assert local.weekday() in weekdays
    assert first_due == local_instant(local.date(), time(hour, minute), zone)
    # The duration counts from the tick that sent the first step, in elapsed time across DST.
    assert second_due == first_tick + timedelta(hours=hours)
    assert second_tick >= second_due


@pytest.mark.parametrize(
    "given",
    [
        _utc(1, 1, 1),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),  # cannot even be put in UTC
        _utc(1969, 12, 31, 23, 59, 59),
        _utc(9000, 1, 1),
        _utc(9999, 12, 25),
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-1))),
    ],
)
def test_a_time_outside_1970_to_8999_is_refused_naming_the_field(given: datetime) -> None:
    with pytest.raises(SequenceInputError, match=r"^at: must be in the years 1970 to 8999"):
        in_range(given, "at")


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"])
@pytest.mark.parametrize(
    "edge", [EARLIEST, LATEST - timedelta(microseconds=1)], ids=["earliest", "latest"]
)
def test_every_date_computed_from_the_edges_of_the_range_fits(zone: str, edge: datetime) -> None:
    """The longest preview from the first and last accepted instants, through the longest waits
    and weekday searches, in the zones furthest from UTC: no overflow anywhere."""
    assert in_range(edge, "at") == edge
    program = make_program(
        [
            Send("first"),
            Wait(MAX_WAIT),
            WaitUntil(frozenset({SUN}), 23, 59),
            WaitRelative("session", -MAX_WAIT),
            Send("last"),
        ]
    )
    events = {"session": edge + MAX_WAIT}
    planned = timeline(program, Facts(events=events), edge, zone, days=MAX_DAYS)
    assert [each.next.do for each in planned] == [Do.SEND, Do.WAIT, Do.WAIT]
    assert planned[-1].next.position.due is not None  # past the 366 days: still a date
    for each in planned:
        each.at.astimezone(ZoneInfo(zone)).strftime("%a %d %b %Y, %H:%M")
