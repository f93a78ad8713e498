"""Attendance rules without a database: which beats count, buckets, outcomes, drop-off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.errors import Conflict, InputError
from evergreen.webinars.rules.attendance import (
    GRACE,
    Status,
    Watch,
    bits_of,
    bytes_of,
    check_beat,
    dropoff,
    mark,
    status_of,
    watched_seconds,
)

START = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
HOUR = 3600


def test_a_beat_counts_from_the_start_to_the_end_of_the_replay_window() -> None:
    assert check_beat(10, START, HOUR, 48, START + timedelta(seconds=12)) is True
    assert check_beat(3599, START, HOUR, 48, START + timedelta(hours=2)) is False  # replay
    with pytest.raises(Conflict):
        check_beat(0, START, HOUR, 48, START - timedelta(seconds=1))
    with pytest.raises(Conflict):
        check_beat(0, START, HOUR, 48, START + timedelta(hours=49, seconds=1))
    for bad in (-1, HOUR + 1):
        with pytest.raises(InputError) as refused:
            check_beat(bad, START, HOUR, 48, START + timedelta(minutes=1))
        assert refused.value.field == "second"
        assert refused.value.status == 422
    with pytest.raises(InputError, match="ahead"):  # no seeking past the live position
        check_beat(600, START, HOUR, 48, START + timedelta(minutes=1))


def test_outcomes_follow_the_documented_thresholds() -> None:
    def outcome(seconds: range, duration: int = HOUR, after: timedelta = GRACE) -> Status:
        watch = Watch(mark(0, seconds), max(seconds, default=-1))
        end = START + timedelta(seconds=duration)
        return status_of(START, duration, watch, end + after)

    assert outcome(range(0, HOUR, 5)) is Status.ATTENDED
    assert outcome(range(0, 300, 5)) is Status.LEFT_EARLY  # 5 minutes, gone at 8 %
    assert outcome(range(0, 295, 5)) is Status.MISSED  # under 5 minutes of an hour
    assert outcome(range(0)) is Status.MISSED
    assert outcome(range(0, 60, 5), duration=600) is Status.LEFT_EARLY  # 10 % of 10 minutes
    assert outcome(range(0, HOUR, 5), after=GRACE - timedelta(seconds=1)) is Status.REGISTERED


@given(st.lists(st.integers(0, 7200)), st.lists(st.integers(0, 7200)))
def test_merging_is_an_idempotent_union(a: list[int], b: list[int]) -> None:
    left, right = mark(0, a), mark(0, b)
    assert left | right == mark(0, a + b) == mark(mark(0, b), a)
    assert (left | right) | right == left | right
    assert bits_of(bytes_of(left)) == left


@given(st.integers(1, 7200), st.lists(st.integers(0, 7200)))
def test_watched_seconds_never_exceed_the_video_and_duplicates_add_nothing(
    duration: int, seconds: list[int]
) -> None:
    kept = [s for s in seconds if s < duration]  # the fold clamps the last second to d - 1
    bits = mark(0, kept)
    watched = watched_seconds(bits, duration)
    assert 0 <= watched <= duration
    assert watched_seconds(mark(bits, kept), duration) == watched
    assert (watched > 0) == bool(kept)


@given(
    st.integers(60, 7200),
    st.lists(st.integers(0, 7200)),
    st.timedeltas(timedelta(0), timedelta(days=3)),
)
def test_the_outcome_is_final_after_the_grace_and_then_never_changes(
    duration: int, seconds: list[int], later: timedelta
) -> None:
    kept = [s for s in seconds if s <= duration]
    watch = Watch(mark(0, kept), max(kept, default=-1))
    final = START + timedelta(seconds=duration) + GRACE
    assert status_of(START, duration, watch, final - timedelta(seconds=1)) is Status.REGISTERED
    settled = status_of(START, duration, watch, final)
    assert settled is not Status.REGISTERED
    assert status_of(START, duration, watch, final + later) is settled
    if not kept:
        assert settled is Status.MISSED


@given(st.integers(60, 7200), st.lists(st.lists(st.integers(0, 7200)), max_size=20))
def test_the_dropoff_curve_is_a_share_per_minute(duration: int, viewers: list[list[int]]) -> None:
    sets = [mark(0, [s for s in seconds if s <= duration]) for seconds in viewers]
    curve = dropoff(sets, duration)
    if not any(sets):
        assert curve == []
        return
    assert len(curve) == -(-duration // 60)
    assert all(0.0 <= share <= 1.0 for share in curve)
    assert max(curve) > 0


def test_the_dropoff_curve_counts_who_is_still_there() -> None:
    whole = mark(0, range(0, 600, 5))
    half = mark(0, range(0, 300, 5))
    assert dropoff([whole, half, 0], 600) == [1.0] * 5 + [0.5] * 5
