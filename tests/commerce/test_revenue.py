"""Recurring revenue: ChartMogul's MRR movements, cohort retention and the persistence ω."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules import (
    EventKind,
    MovementKind,
    SubscriptionEvent,
    cohort_retention,
    estimate_stream_persistence,
    monthly_amount,
    mrr_movements,
    mrr_report,
    mrr_reports_by,
)
from evergreen.errors import InputError
from evergreen.ledger.rules import value_of

D = Decimal
K = EventKind


def at(month: int, day: int = 1, year: int = 2026) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


def ev(
    sub: str,
    when: datetime,
    kind: EventKind,
    amount: str | None = None,
    *,
    customer: str | None = None,
    interval: int = 1,
    trial_ends: datetime | None = None,
) -> SubscriptionEvent:
    return SubscriptionEvent(
        sub,
        customer or f"cust-{sub}",
        when,
        kind,
        None if amount is None else D(amount),
        interval,
        trial_ends,
    )


def kinds(events: list[SubscriptionEvent]) -> list[tuple[MovementKind, Decimal]]:
    return [(m.kind, m.amount) for m in mrr_movements(events)]


def test_an_annual_plan_counts_a_twelfth_a_month() -> None:
    assert monthly_amount(D("1200"), 12) == D("100.0000")
    assert monthly_amount(D("100"), 12) == D("8.3333")
    assert kinds([ev("a", at(1), K.START, "1200", interval=12)]) == [
        (MovementKind.NEW, D("100.0000"))
    ]


def test_each_chartmogul_movement_is_named_and_signed() -> None:
    events = [
        ev("a", at(1), K.START, "50"),
        ev("a", at(2), K.CHANGE, "80"),
        ev("a", at(3), K.CHANGE, "30"),
        ev("a", at(4), K.CANCEL),
        ev("a", at(5), K.REACTIVATE, "40"),
        ev("a", at(6), K.PAYMENT_FAILED),
        ev("a", at(6, 9), K.RECOVERED),
    ]
    assert kinds(events) == [
        (MovementKind.NEW, D(50)),
        (MovementKind.EXPANSION, D(30)),
        (MovementKind.CONTRACTION, D(-50)),
        (MovementKind.CHURN, D(-30)),
        (MovementKind.REACTIVATION, D(40)),
        (MovementKind.DELINQUENT_CHURN, D(-40)),
        (MovementKind.REACTIVATION, D(40)),
    ]


def test_movements_are_per_customer_so_a_second_subscription_is_expansion() -> None:
    events = [
        ev("a", at(1), K.START, "20", customer="ann"),
        ev("b", at(2), K.START, "10", customer="ann"),
        ev("a", at(3), K.CANCEL, customer="ann"),
    ]
    assert kinds(events) == [
        (MovementKind.NEW, D(20)),
        (MovementKind.EXPANSION, D(10)),
        (MovementKind.CONTRACTION, D(-20)),
    ]


def test_a_later_event_counts_for_the_customer_who_started_the_subscription() -> None:
    events = [
        ev("a", at(1), K.START, "20", customer="ann"),
        ev("a", at(2), K.CANCEL, customer="someone-else"),
    ]
    assert [(m.customer, m.kind) for m in mrr_movements(events)] == [
        ("ann", MovementKind.NEW),
        ("ann", MovementKind.CHURN),
    ]


def test_a_trial_counts_no_mrr_until_it_ends_and_never_if_cancelled_in_it() -> None:
    converts = [ev("a", at(1), K.START, "30", trial_ends=at(1, 15))]
    assert [(m.day, m.kind) for m in mrr_movements(converts)] == [
        (date(2026, 1, 15), MovementKind.NEW)
    ]
    cancelled = [*converts, ev("a", at(1, 10), K.CANCEL)]
    assert mrr_movements(cancelled) == []


def test_repeated_webhooks_change_nothing() -> None:
    once = [ev("a", at(1), K.START, "30"), ev("a", at(2), K.CANCEL)]
    twice = [once[0], once[0], once[1], once[1], ev("a", at(3), K.RECOVERED)]
    assert kinds(twice) == kinds(once)


def test_a_monthly_report_adds_up_and_carries_mrr_over_quiet_months() -> None:
    events = [
        ev("a", at(1, 5), K.START, "100"),
        ev("b", at(1, 20), K.START, "1200", interval=12),
        ev("a", at(3, 2), K.CHANGE, "150"),
        ev("b", at(3, 9), K.CANCEL),
    ]
    periods = mrr_report(events, date(2026, 1, 1), date(2026, 4, 30))
    assert [p.start for p in periods] == [date(2026, m, 1) for m in (1, 2, 3, 4)]
    jan, feb, mar, apr = periods
    assert (jan.opening, jan.new, jan.closing, jan.customers) == (D(0), D(200), D(200), 2)
    assert (feb.opening, feb.closing, feb.new) == (D(200), D(200), D(0))
    assert (mar.expansion, mar.churn, mar.closing, mar.customers) == (D(50), D(-100), D(150), 1)
    assert (apr.opening, apr.closing) == (D(150), D(150))


def test_a_report_starting_later_opens_with_the_mrr_already_there() -> None:
    events = [ev("a", at(1), K.START, "100"), ev("a", at(3), K.CHANGE, "60")]
    (mar,) = mrr_report(events, date(2026, 3, 1), date(2026, 3, 31))
    assert (mar.opening, mar.contraction, mar.closing) == (D(100), D(-40), D(60))
    days = mrr_report(events, date(2026, 2, 28), date(2026, 3, 2), by="day")
    assert [(p.start, p.closing) for p in days] == [
        (date(2026, 2, 28), D(100)),
        (date(2026, 3, 1), D(60)),
        (date(2026, 3, 2), D(60)),
    ]


def test_per_product_a_switch_is_churn_in_one_and_new_in_the_other() -> None:
    events = [
        SubscriptionEvent("a", "ann", at(1), K.START, D(30), product="basic", stream="course"),
        SubscriptionEvent("a", "ann", at(2), K.CANCEL, product="basic", stream="course"),
        SubscriptionEvent("b", "ann", at(2), K.START, D(50), product="pro", stream="course"),
    ]
    (feb_all,) = mrr_report(events, date(2026, 2, 1), date(2026, 2, 28))
    assert (feb_all.expansion, feb_all.churn, feb_all.new) == (D(20), D(0), D(0))
    per_product = mrr_reports_by(events, date(2026, 2, 1), date(2026, 2, 28))
    assert list(per_product) == ["basic", "pro"]
    assert (per_product["basic"][0].churn, per_product["basic"][0].closing) == (D(-30), D(0))
    assert (per_product["pro"][0].new, per_product["pro"][0].closing) == (D(50), D(50))
    (stream,) = mrr_reports_by(events, date(2026, 2, 1), date(2026, 2, 28), key="stream").values()
    assert stream[0].closing == D(50)
    with pytest.raises(CommerceInputError, match="product"):
        mrr_reports_by(events, date(2026, 2, 1), date(2026, 2, 28), key="plan")


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: [ev("a", datetime(2026, 1, 1), K.START, "10")], "at"),  # naive
        (lambda: [ev("a", at(1), K.START, "-1")], "amount"),
        (lambda: [ev("a", at(1), K.START, "10", interval=0)], "interval_months"),
        (lambda: [ev("a", at(1), K.START)], "amount"),
        (lambda: [ev("a", at(1), K.CANCEL)], "subscription"),
    ],
)
def test_events_no_subscription_can_have_are_refused_by_field(make, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as refused:  # CommerceInputError, or money's for times
        mrr_movements(make())
    assert refused.value.field == field


def test_a_bad_report_grouping_or_range_is_refused() -> None:
    with pytest.raises(CommerceInputError, match="day"):
        mrr_report([], date(2026, 1, 1), date(2026, 2, 1), by="week")
    with pytest.raises(CommerceInputError, match="before"):
        mrr_report([], date(2026, 2, 1), date(2026, 1, 1))


_KINDS = st.sampled_from(list(EventKind))


@st.composite
def streams(draw: st.DrawFn) -> list[SubscriptionEvent]:
    subs = draw(st.lists(st.sampled_from("abcde"), min_size=1, max_size=4, unique=True))
    events = []
    for sub in subs:
        customer = draw(st.sampled_from(["x", "y", "z"]))
        start = at(1) + timedelta(days=draw(st.integers(0, 60)))
        trial = draw(st.one_of(st.none(), st.integers(1, 40)))
        events.append(
            ev(
                sub,
                start,
                K.START,
                str(draw(st.integers(0, 5000))),
                customer=customer,
                interval=draw(st.sampled_from([1, 3, 12])),
                trial_ends=None if trial is None else start + timedelta(days=trial),
            )
        )
        for _ in range(draw(st.integers(0, 8))):
            kind = draw(_KINDS)
            when = start + timedelta(days=draw(st.integers(0, 200)), hours=1)
            amount = draw(st.integers(0, 5000)) if kind in (K.CHANGE, K.START) else None
            if kind is K.REACTIVATE and draw(st.booleans()):
                amount = draw(st.integers(0, 5000))
            events.append(
                ev(
                    sub,
                    when,
                    kind,
                    None if amount is None else str(amount),
                    customer=customer,
                    interval=draw(st.sampled_from([1, 12])),
                )
            )
    return events


@settings(max_examples=150, deadline=None)
@given(streams(), st.sampled_from(["day", "month"]))
def test_opening_plus_movements_is_closing_and_mrr_is_never_negative(
    events: list[SubscriptionEvent], by: str
) -> None:
    periods = mrr_report(events, date(2026, 1, 1), date(2026, 10, 31), by=by)
    previous = D(0)
    for p in periods:
        moves = p.new + p.expansion + p.contraction + p.churn + p.delinquent_churn + p.reactivation
        assert p.opening == previous
        assert p.opening + moves == p.closing
        assert p.closing >= 0
        assert p.customers >= 0
        assert p.new >= 0
        assert p.expansion >= 0
        assert p.reactivation >= 0
        assert p.contraction <= 0
        assert p.churn <= 0
        assert p.delinquent_churn <= 0
        previous = p.closing
    running: dict[str, Decimal] = {}
    for movement in mrr_movements(events):
        running[movement.customer] = running.get(movement.customer, D(0)) + movement.amount
        assert running[movement.customer] >= 0
        assert movement.amount != 0
    if all(e.at.date() <= date(2026, 10, 31) for e in events):
        assert periods[-1].closing == sum(running.values(), D(0))
        assert periods[-1].customers == sum(1 for v in running.values() if v > 0)


def cohort_events() -> list[SubscriptionEvent]:
    return [
        ev("a", at(1, 3), K.START, "100"),
        ev("b", at(1, 9), K.START, "100"),
        ev("c", at(2, 4), K.START, "50"),
        ev("b", at(2, 20), K.CANCEL),
        ev("a", at(3, 5), K.CHANGE, "120"),
    ]


def test_cohorts_keep_customers_and_revenue_month_by_month() -> None:
    jan, feb = cohort_retention(cohort_events(), as_of=date(2026, 3, 31))
    assert (jan.month, jan.customers) == (date(2026, 1, 1), 2)
    assert jan.mrr == (D(200), D(100), D(120))
    assert jan.active == (2, 1, 1)
    assert jan.customer_retention == (D(1), D("0.5"), D("0.5"))
    assert jan.revenue_retention == (D(1), D("0.5"), D("0.6"))
    assert (feb.customers, feb.mrr) == (1, (D(50), D(50)))


def test_an_incomplete_month_is_left_out_of_the_cohorts() -> None:
    (jan, _feb) = cohort_retention(cohort_events(), as_of=date(2026, 3, 30))
    assert len(jan.mrr) == 2


def test_persistence_is_the_weighted_monthly_revenue_retention_raised_to_a_year() -> None:
    cohorts = cohort_retention(cohort_events(), as_of=date(2026, 3, 31))
    estimate = estimate_stream_persistence(cohorts)
    # (100 + 120 + 50) kept of (200 + 100 + 50): 270 / 350
    assert estimate.monthly == D("0.7714")
    assert estimate.omega == ((D(270) / D(350)) ** 12).quantize(D("0.0001"))
    assert (estimate.cohorts, estimate.month_pairs) == (2, 3)
    assert "3 month pair(s) of 2 cohort(s)" in estimate.note
    # It plugs into the ledger's valuation as ω: 1000 / (1 + 0.1 - 0.0444).
    assert estimate.omega == D("0.0444")
    assert value_of(D(0), D(1000), D("0.1"), estimate.omega) == D(1000) / D("1.0556")


def test_growth_beyond_churn_is_bounded_to_full_persistence() -> None:
    events = [ev("a", at(1), K.START, "10"), ev("a", at(2), K.CHANGE, "30")]
    estimate = estimate_stream_persistence(cohort_retention(events, date(2026, 2, 28)))
    assert (estimate.omega, estimate.monthly) == (D(1), D(1))
    assert "bounded to 1" in estimate.note


def test_no_complete_month_pair_gives_no_estimate_with_words() -> None:
    estimate = estimate_stream_persistence(cohort_retention(cohort_events(), date(2026, 1, 31)))
    assert estimate.omega is None
    assert estimate.monthly is None
    assert "no cohort has two complete months" in estimate.note
    assert cohort_retention([], date(2026, 1, 31)) == []


@settings(max_examples=100, deadline=None)
@given(streams())
def test_persistence_is_within_zero_and_one_for_any_stream(
    events: list[SubscriptionEvent],
) -> None:
    cohorts = cohort_retention(events, date(2026, 12, 31))
    for cohort in cohorts:
        assert all(0 <= a <= cohort.customers for a in cohort.active)
        assert all(v >= 0 for v in cohort.mrr)
    estimate = estimate_stream_persistence(cohorts)
    if estimate.omega is not None:
        assert D(0) <= estimate.omega <= D(1)
        assert estimate.monthly is not None
        assert D(0) <= estimate.monthly <= D(1)
        assert estimate.month_pairs >= 1
