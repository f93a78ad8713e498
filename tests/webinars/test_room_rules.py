"""The room's pure rules: its stage moves only forward in time (waiting → live → replay →
expired), a late joiner is at now - start and never past the end, replay_hours 0 means no
replay, an offer's deadline counts from when it appeared in the session, and the content checks
(second marks, deadlines, dates, the honest label, the video's first bytes)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.rules.content import (
    DEFAULT_LABEL,
    check_asked_on,
    check_deadline,
    check_label,
    check_second,
    sniff_video,
)
from evergreen.webinars.rules.room import Stage, offer_closes_at, offer_open, room_state

START = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
ORDER = [Stage.WAITING, Stage.LIVE, Stage.REPLAY, Stage.EXPIRED]
offsets = st.integers(min_value=-10 * 86_400, max_value=30 * 86_400)
durations = st.integers(min_value=1, max_value=24 * 3600)
replays = st.integers(min_value=0, max_value=24 * 365)


@given(offsets, offsets, durations, replays)
def test_the_stage_never_goes_back_as_time_moves_on(
    a: int, b: int, duration: int, replay: int
) -> None:
    early, late = sorted((a, b))
    first = room_state(START, duration, replay, START + timedelta(seconds=early))
    second = room_state(START, duration, replay, START + timedelta(seconds=late))
    assert ORDER.index(first.stage) <= ORDER.index(second.stage)
    if first.stage is Stage.LIVE and second.stage is Stage.LIVE:
        assert first.position <= second.position


@given(st.floats(min_value=0, max_value=86_400, allow_nan=False), durations, replays)
def test_a_late_joiner_is_where_the_session_is_never_past_the_end(
    after: float, duration: int, replay: int
) -> None:
    state = room_state(START, duration, replay, START + timedelta(seconds=after))
    if after < duration:
        assert state.stage is Stage.LIVE
        assert state.position == min(int(after), duration - 1)
        assert 0 <= state.position < duration
    else:
        assert state.stage in (Stage.REPLAY, Stage.EXPIRED)
        assert state.position == 0
    assert state.ends_at == START + timedelta(seconds=duration)


@given(st.integers(min_value=1, max_value=10 * 86_400), durations, replays)
def test_before_the_start_it_waits_the_seconds_left(
    before: int, duration: int, replay: int
) -> None:
    state = room_state(START, duration, replay, START - timedelta(seconds=before))
    assert state.stage is Stage.WAITING
    assert state.wait_seconds == before
    assert not state.plays


def test_the_replay_closes_after_its_hours_and_zero_means_none() -> None:
    end = START + timedelta(hours=1)
    assert room_state(START, 3600, 48, end).stage is Stage.REPLAY
    assert room_state(START, 3600, 48, end + timedelta(hours=48) - timedelta(seconds=1)).plays
    closed = room_state(START, 3600, 48, end + timedelta(hours=48))
    assert closed.stage is Stage.EXPIRED
    assert not closed.plays
    assert room_state(START, 3600, 0, end).stage is Stage.EXPIRED
    assert room_state(START, 3600, 0, end - timedelta(seconds=1)).stage is Stage.LIVE
    with pytest.raises(ValueError, match="duration must be positive"):
        room_state(START, 0, 48, START)


def test_an_offer_opens_at_its_second_and_closes_at_its_real_deadline() -> None:
    def at(seconds: int) -> datetime:
        return START + timedelta(seconds=seconds)

    def is_open(seconds: int, deadline: int | None = 10) -> bool:
        state = room_state(START, 3600, 48, at(seconds))
        return offer_open(state, START, 600, deadline, at(seconds))

    assert offer_closes_at(START, 600, 10) == at(1200)
    assert offer_closes_at(START, 600, None) is None
    assert not is_open(599)  # not shown yet
    assert is_open(600)
    assert is_open(1199)
    assert not is_open(1200)  # the deadline holds, whenever the page was loaded
    assert is_open(3600 * 2, None)  # no deadline: open in the replay
    assert not is_open(3600 + 48 * 3600, None)  # the room closed
    assert not is_open(-5, None)  # before the session


@given(st.integers(min_value=0, max_value=1439), st.integers(min_value=1, max_value=10_080))
def test_the_deadline_is_the_same_instant_for_every_load(second: int, minutes: int) -> None:
    closes = offer_closes_at(START, second, minutes)
    assert closes == START + timedelta(seconds=second) + timedelta(minutes=minutes)


def test_content_checks_name_the_field() -> None:
    assert check_second("at_second", 0, 1) == 0
    assert check_second("at_second", 59, 1) == 59
    for bad in (-1, 60):
        with pytest.raises(WebinarInputError) as error:
            check_second("at_second", bad, 1)
        assert error.value.field == "at_second"
    assert check_deadline(None) is None
    assert check_deadline(15) == 15
    with pytest.raises(WebinarInputError):
        check_deadline(0)
    today = date(2026, 12, 7)
    assert check_asked_on("2026-11-02", today) == date(2026, 11, 2)
    for bad in ("2026-12-08", "yesterday", "2026-02-30"):
        with pytest.raises(WebinarInputError) as error:
            check_asked_on(bad, today)
        assert error.value.field == "asked_on"
    assert check_label("") == DEFAULT_LABEL
    assert check_label("Recorded talk from March") == "Recorded talk from March"
    for dishonest in ("LIVE now!", "Join us live"):
        with pytest.raises(WebinarInputError) as error:
            check_label(dishonest)
        assert error.value.field == "room_label"


def test_the_video_is_known_by_its_first_bytes() -> None:
    assert sniff_video(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 60) == "video/mp4"
    webm = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + b"\x00" * 40
    assert sniff_video(webm) == "video/webm"
    assert sniff_video(b"%PDF-1.7 not a video" + b"\x00" * 60) is None
    assert sniff_video(b"") is None
