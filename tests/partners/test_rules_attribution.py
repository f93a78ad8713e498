"""Attribution rules: coupons over clicks, last or first click, window edges, binding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evergreen.errors import InputError
from evergreen.partners.rules import (
    Attribution,
    Touch,
    TouchKind,
    attribute,
    bound_partner,
)

AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=30)


def click(partner: int, at: datetime, click_id: str = "c") -> Touch:
    return Touch(partner_id=partner, at=at, kind=TouchKind.CLICK, click_id=click_id)


def coupon(partner: int, at: datetime, code: str = "SPRING10") -> Touch:
    return Touch(partner_id=partner, at=at, kind=TouchKind.COUPON, coupon=code)


EARLY = click(1, datetime(2026, 11, 2, 9, 0, tzinfo=UTC), "early")
LATE = click(2, datetime(2026, 11, 20, 10, 0, tzinfo=UTC), "late")


def test_last_click_wins_by_default_with_the_rule_shown() -> None:
    found = attribute([EARLY, LATE], at=AT)
    assert found == Attribution(
        partner_id=2,
        kind=TouchKind.CLICK,
        touch_at=LATE.at,
        rule="last click on 2026-11-20 within the 30-day window",
    )


def test_first_click_model_picks_the_earliest_click() -> None:
    found = attribute([LATE, EARLY], at=AT, model="first")
    assert found is not None
    assert found.partner_id == 1
    assert found.rule == "first click on 2026-11-02 within the 30-day window"


@pytest.mark.parametrize("model", ["last", "first"])
def test_a_coupon_at_checkout_wins_over_clicks(model: str) -> None:
    found = attribute([EARLY, coupon(3, AT), LATE], at=AT, model=model)  # type: ignore[arg-type]
    assert found == Attribution(3, TouchKind.COUPON, AT, "coupon SPRING10")


def test_the_latest_coupon_wins_when_two_were_used() -> None:
    found = attribute([coupon(3, AT, "A"), coupon(4, AT, "B")], at=AT)
    assert found is not None
    assert (found.partner_id, found.rule) == (4, "coupon B")


def test_a_coupon_outside_the_window_does_not_count() -> None:
    stale = coupon(3, AT - timedelta(days=31))
    found = attribute([stale, LATE], at=AT)
    assert found is not None
    assert found.partner_id == 2


def test_window_start_is_included_and_one_microsecond_earlier_is_not() -> None:
    edge = click(5, AT - WINDOW)
    assert attribute([edge], at=AT) == Attribution(
        5, TouchKind.CLICK, AT - WINDOW, "last click on 2026-10-25 within the 30-day window"
    )
    assert attribute([click(5, AT - WINDOW - timedelta(microseconds=1))], at=AT) is None


def test_a_click_at_the_conversion_counts_and_one_after_it_does_not() -> None:
    found = attribute([click(6, AT)], at=AT)
    assert found is not None
    assert found.partner_id == 6
    assert attribute([click(6, AT + timedelta(seconds=1))], at=AT) is None
    later = attribute([LATE, click(7, AT + timedelta(seconds=1))], at=AT)
    assert later is not None
    assert later.partner_id == 2


def test_longer_windows_reach_older_clicks() -> None:
    old = click(8, AT - timedelta(days=45))
    assert attribute([old], at=AT) is None
    found = attribute([old], at=AT, window=timedelta(days=60))
    assert found is not None
    assert found.rule == "last click on 2026-10-10 within the 60-day window"


def test_ties_go_to_the_later_listed_for_last_and_earlier_listed_for_first() -> None:
    same = LATE.at
    touches = [click(10, same), click(11, same)]
    last = attribute(touches, at=AT)
    first = attribute(touches, at=AT, model="first")
    assert last is not None
    assert first is not None
    assert (last.partner_id, first.partner_id) == (11, 10)


def test_no_touches_means_no_partner() -> None:
    assert attribute([], at=AT) is None


def test_aware_non_utc_times_are_compared_as_instants() -> None:
    plus_two = timezone(timedelta(hours=2))
    local = datetime(2026, 11, 24, 13, 59, tzinfo=plus_two)  # 11:59 UTC
    found = attribute([click(12, local)], at=AT)
    assert found is not None
    assert found.touch_at == datetime(2026, 11, 24, 11, 59, tzinfo=UTC)


@pytest.mark.parametrize("days", [1, 365])
def test_window_bounds_are_allowed(days: int) -> None:
    assert attribute([click(1, AT)], at=AT, window=timedelta(days=days)) is not None


@pytest.mark.parametrize(
    "window", [timedelta(0), timedelta(days=366), timedelta(hours=12), timedelta(days=-30)]
)
def test_bad_windows_are_refused(window: timedelta) -> None:
    with pytest.raises(InputError) as info:
        attribute([LATE], at=AT, window=window)
    assert info.value.field == "window"


def test_naive_times_are_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="naive") as info:
        attribute([LATE], at=datetime(2026, 11, 24, 12, 0))
    assert isinstance(info.value, InputError)
    assert info.value.field == "at"
    with pytest.raises(InputError, match="naive"):
        attribute([click(1, datetime(2026, 11, 20))], at=AT)


def test_bad_model_kind_and_coupon_are_refused() -> None:
    with pytest.raises(InputError) as info:
        attribute([LATE], at=AT, model="middle")  # type: ignore[arg-type]
    assert info.value.field == "model"
    bogus = Touch(partner_id=1, at=AT, kind="view")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown touch kind"):
        attribute([bogus], at=AT)
    with pytest.raises(InputError, match="coupon code"):
        attribute([Touch(partner_id=1, at=AT, kind=TouchKind.COUPON)], at=AT)


def test_a_bound_customer_stays_with_the_original_partner() -> None:
    candidate = Attribution(2, TouchKind.CLICK, LATE.at, "last click")
    assert bound_partner(7, candidate) == 7
    assert bound_partner(7, None) == 7
    assert bound_partner(None, candidate) == 2
    assert bound_partner(None, None) is None


offsets = st.integers(min_value=-400 * 86400, max_value=400 * 86400)


@settings(max_examples=150)
@given(
    days=st.integers(1, 365),
    clicks=st.lists(st.tuples(st.integers(1, 5), offsets), max_size=8),
    model=st.sampled_from(["last", "first"]),
)
def test_touches_outside_the_window_never_win(
    days: int, clicks: list[tuple[int, int]], model: str
) -> None:
    window = timedelta(days=days)
    touches = [click(p, AT + timedelta(seconds=s)) for p, s in clicks]
    inside = [t for t in touches if AT - window <= t.at <= AT]
    found = attribute(touches, at=AT, model=model, window=window)  # type: ignore[arg-type]
    if not inside:
        assert found is None
        return
    assert found is not None
    assert AT - window <= found.touch_at <= AT
    assert any(t.partner_id == found.partner_id and t.at == found.touch_at for t in inside)
    pick = max if model == "last" else min
    assert found.touch_at == pick(t.at for t in inside)
