"""Billing rules without a database: anchored periods across month ends and leap years, the
dunning schedule inside the grace period, what a due subscription needs, and the MRR facts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.billing import (
    Due,
    SubState,
    add_months,
    check_cancel,
    check_reactivate,
    decide,
    failure_plan,
    order_period,
    period_bounds,
    renewal_key,
)
from evergreen.commerce.rules.mrr import Fact, mrr_view, to_events

T0 = datetime(2024, 1, 31, 12, tzinfo=UTC)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)


def test_a_month_end_start_renews_on_each_month_end_without_drifting() -> None:
    ends = [period_bounds(T0, "month", n)[1].date() for n in range(1, 5)]
    assert ends == [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31)]
    assert period_bounds(datetime(2024, 2, 29, tzinfo=UTC), "year", 1)[1].date() == date(
        2025, 2, 28
    )


@given(moments, st.sampled_from(["month", "year"]), st.integers(1, 240))
def test_periods_are_contiguous_and_never_shorter_than_28_days(
    anchor: datetime, interval: str, n: int
) -> None:
    start, end = period_bounds(anchor, interval, n)
    assert period_bounds(anchor, interval, n + 1)[0] == end
    assert timedelta(days=28) <= end - start <= timedelta(days=366)
    assert end.day == anchor.day or end.day < anchor.day  # clamped only at a short month's end


@given(moments, st.integers(0, 1200))
def test_add_months_keeps_the_time_and_counts_whole_months(moment: datetime, months: int) -> None:
    later = add_months(moment, months)
    assert later.time() == moment.time()
    assert (later.year - moment.year) * 12 + later.month - moment.month == months


def test_retries_fall_inside_the_grace_period() -> None:
    plans = [failure_plan(T0, attempt, 7) for attempt in (1, 2, 3, 4)]
    assert [p.next_attempt_at for p in plans] == [
        T0 + timedelta(days=1), T0 + timedelta(days=3), T0 + timedelta(days=5), None,
    ]  # fmt: skip
    assert {p.grace_until for p in plans} == {T0 + timedelta(days=7)}
    assert failure_plan(T0, 3, 4).next_attempt_at is None  # day 5 is past a 4-day grace


@pytest.mark.parametrize(
    ("state", "due"),
    [
        (SubState("active", T0, False, None, None), Due.CHARGE),
        (SubState("trialing", T0, False, None, None), Due.CHARGE),
        (SubState("active", T0, True, None, None), Due.END),
        (SubState("canceled", T0, True, None, None), Due.END),
        (SubState("active", T0 + timedelta(seconds=1), False, None, None), Due.NOTHING),
        (SubState("past_due", T0, False, T0, T0 + timedelta(days=7)), Due.RETRY),
        (SubState("past_due", T0, False, None, T0), Due.END_DELINQUENT),
        (SubState("past_due", T0, False, T0 + timedelta(hours=1), T0 + timedelta(days=7)),
         Due.NOTHING),
        (SubState("ended", T0, False, None, None), Due.NOTHING),
    ],
)  # fmt: skip
def test_what_a_subscription_needs(state: SubState, due: Due) -> None:
    assert decide(state, T0) is due


def test_cancel_and_reactivate_refusals_say_why() -> None:
    with pytest.raises(CommerceInputError, match="cannot be cancelled"):
        check_cancel("ended", False, True)
    with pytest.raises(CommerceInputError, match="already ends"):
        check_cancel("active", True, True)
    check_cancel("past_due", False, False)
    with pytest.raises(CommerceInputError, match="not set to end"):
        check_reactivate("active", False, T0, T0)
    with pytest.raises(CommerceInputError, match="is over"):
        check_reactivate("active", True, T0, T0)


def test_the_renewal_key_names_the_period() -> None:
    assert order_period(renewal_key(12, 7)) == 7
    assert order_period("a-checkout-nonce") == 1


def _fact(sub: int, kind: str, at: datetime, amount: int = 1200, interval: str = "month") -> Fact:
    return Fact(sub, f"c{sub}", "Club", "EUR", kind, at, amount, interval)


def test_facts_become_mrr_movements_that_reconcile() -> None:
    jan, feb, mar = (datetime(2025, m, 10, tzinfo=UTC) for m in (1, 2, 3))
    facts = [
        _fact(1, "start", jan), _fact(2, "start", jan, 12000, "year"),
        _fact(1, "renewal", feb), _fact(2, "payment_failed", feb), _fact(2, "recovered", mar),
        _fact(1, "cancel", mar), _fact(3, "trial_end", mar),
    ]  # fmt: skip
    view = mrr_view("EUR", to_events(facts)["EUR"], date(2025, 1, 1), date(2025, 3, 31))
    jan_row, feb_row, mar_row = view.months
    assert jan_row.new == Decimal("22")  # 12 a month + 120 a year as 10 a month
    assert feb_row.delinquent_churn == Decimal("-10")
    assert (mar_row.reactivation, mar_row.churn, mar_row.closing) == (
        Decimal("10"), Decimal("-12"), Decimal("10"),
    )  # fmt: skip
    for row in view.months:
        moves = (row.new + row.expansion + row.contraction + row.churn + row.delinquent_churn
                 + row.reactivation)  # fmt: skip
        assert row.opening + moves == row.closing


@st.composite
def _lifecycles(draw: st.DrawFn) -> list[Fact]:
    """Subscriptions each started, maybe failed (then recovered or ended delinquent), maybe
    cancelled: facts as the service stores them, in time order per subscription."""
    facts: list[Fact] = []
    for sub in range(draw(st.integers(1, 8))):
        day = draw(st.integers(0, 300))
        at = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=day)
        amount, interval = draw(
            st.sampled_from([(1000, "month"), (1500, "month"), (12000, "year")])
        )

        steps = [("start", at)]
        fate = draw(st.sampled_from(["stays", "cancel", "recovered", "delinquent"]))
        later = at + timedelta(days=draw(st.integers(1, 60)))
        if fate == "cancel":
            steps.append(("cancel", later))
        elif fate in ("recovered", "delinquent"):
            steps.append(("payment_failed", later))
            steps.append((fate, later + timedelta(days=draw(st.integers(1, 7)))))
        facts += [
            Fact(sub, f"c{sub}", "Club", "EUR", kind, when, amount, interval)
            for kind, when in steps
        ]
    return sorted(facts, key=lambda f: f.at)


@given(_lifecycles())
def test_mrr_movements_reconcile_for_any_lifecycle(facts: list[Fact]) -> None:
    events = to_events(facts)["EUR"]
    view = mrr_view("EUR", events, date(2025, 1, 1), date(2026, 3, 31))
    opening = Decimal(0)
    for row in view.months:
        assert row.opening == opening
        moves = (row.new + row.expansion + row.contraction + row.churn + row.delinquent_churn
                 + row.reactivation)  # fmt: skip
        assert row.opening + moves == row.closing
        opening = row.closing
    standing = {f.subscription: f for f in facts if f.kind == "start"}
    for fact in facts:
        if fact.kind in ("cancel", "delinquent", "payment_failed"):
            standing.pop(fact.subscription, None)
        if fact.kind == "recovered":
            standing[fact.subscription] = fact
    expected = sum(
        Decimal(f.amount_cents) / 100 / (12 if f.interval == "year" else 1)
        for f in standing.values()
    )
    assert view.months[-1].closing == expected
