"""Payout planning: netting clawbacks, the threshold, carrying over, monthly periods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evergreen.errors import InputError
from evergreen.partners.rules import (
    Payable,
    PayoutLine,
    period_of,
    plan_payouts,
)

D = Decimal
THRESHOLD = D("50.00")
ITEMS = [
    Payable(1, 1, D("40.00"), "USD"),
    Payable(2, 1, D("25.00"), "USD"),
    Payable(3, 1, D("-10.00"), "USD"),  # a clawback netted from partner 1's payout
    Payable(4, 1, D("20.00"), "EUR"),
    Payable(5, 2, D("50.00"), "USD"),  # exactly the threshold
    Payable(6, 3, D("30.00"), "USD"),
    Payable(7, 3, D("-40.00"), "USD"),  # the clawback is larger than what is owed
    Payable(8, 4, D("49.99"), "USD"),
]


def test_lines_net_clawbacks_and_split_at_the_threshold() -> None:
    paid, carried = plan_payouts(ITEMS, threshold=THRESHOLD)
    assert paid == [
        PayoutLine(1, "USD", D("55.00"), (1, 2, 3)),
        PayoutLine(2, "USD", D("50.00"), (5,)),
    ]
    assert carried == [
        PayoutLine(1, "EUR", D("20.00"), (4,)),
        PayoutLine(3, "USD", D("-10.00"), (6, 7)),
        PayoutLine(4, "USD", D("49.99"), (8,)),
    ]


def test_with_no_threshold_only_positive_totals_are_paid() -> None:
    items = [Payable(1, 1, D("5.00"), "USD"), Payable(2, 1, D("-5.00"), "USD")]
    items.append(Payable(3, 2, D("0.01"), "USD"))
    paid, carried = plan_payouts(items, threshold=D(0))
    assert paid == [PayoutLine(2, "USD", D("0.01"), (3,))]
    assert carried == [PayoutLine(1, "USD", D("0.00"), (1, 2))]


def test_nothing_to_pay() -> None:
    assert plan_payouts([], threshold=THRESHOLD) == ([], [])


def test_currency_codes_are_grouped_case_insensitively() -> None:
    items = [Payable(1, 1, D("30.00"), "usd"), Payable(2, 1, D("30.00"), "USD")]
    paid, _carried = plan_payouts(items, threshold=THRESHOLD)
    assert paid == [PayoutLine(1, "USD", D("60.00"), (1, 2))]


@pytest.mark.parametrize(
    ("items", "threshold", "field"),
    [
        ([Payable(1, 1, D("5"), "USD"), Payable(1, 1, D("5"), "USD")], THRESHOLD, "items"),
        ([Payable(1, 1, D("5.001"), "USD")], THRESHOLD, "amount"),
        ([Payable(1, 1, 5.0, "USD")], THRESHOLD, "amount"),  # type: ignore[arg-type]
        ([Payable(1, 1, D("5"), "US")], THRESHOLD, "currency"),
        ([], D("-1"), "threshold"),
    ],
)
def test_bad_items_are_refused(items: list[Payable], threshold: Decimal, field: str) -> None:
    with pytest.raises(InputError) as info:
        plan_payouts(items, threshold=threshold)
    assert info.value.field == field


amounts = st.integers(-10_000, 20_000).map(lambda n: Decimal(n) / 100)


@settings(max_examples=200)
@given(
    rows=st.lists(
        st.tuples(st.integers(1, 4), st.sampled_from(["USD", "EUR"]), amounts), max_size=25
    ),
    threshold=st.integers(0, 10_000).map(lambda n: Decimal(n) / 100),
)
def test_netting_preserves_every_cent_and_every_commission(
    rows: list[tuple[int, str, Decimal]], threshold: Decimal
) -> None:
    items = [Payable(i, p, a, c) for i, (p, c, a) in enumerate(rows, start=1)]
    paid, carried = plan_payouts(items, threshold=threshold)
    lines = paid + carried
    assert sum((line.total for line in lines), D(0)) == sum((i.amount for i in items), D(0))
    ids = [cid for line in lines for cid in line.commission_ids]
    assert sorted(ids) == [i.commission_id for i in items]
    assert len({(line.partner_id, line.currency) for line in lines}) == len(lines)
    assert all(line.total > 0 and line.total >= threshold for line in paid)
    assert all(line.total <= 0 or line.total < threshold for line in carried)


def utc(year: int, month: int, day: int, hour: int = 0, *rest: int) -> datetime:
    minute, second, micro = (*rest, 0, 0, 0)[:3]
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "start", "end"),
    [
        (utc(2026, 11, 24, 12), utc(2026, 11, 1), utc(2026, 12, 1)),
        (utc(2026, 11, 1), utc(2026, 11, 1), utc(2026, 12, 1)),
        (utc(2026, 11, 30, 23, 59, 59, 999_999), utc(2026, 11, 1), utc(2026, 12, 1)),
        (utc(2026, 12, 31, 23), utc(2026, 12, 1), utc(2027, 1, 1)),
        (utc(2028, 2, 29), utc(2028, 2, 1), utc(2028, 3, 1)),
    ],
)
def test_the_monthly_period_containing_a_moment(
    moment: datetime, start: datetime, end: datetime
) -> None:
    assert period_of(moment) == (start, end)


def test_periods_are_utc_months_whatever_the_offset() -> None:
    local = datetime(2026, 12, 1, 1, 0, tzinfo=timezone(timedelta(hours=2)))  # 23:00 UTC Nov 30
    start, end = period_of(local)
    assert (start, end) == (utc(2026, 11, 1), utc(2026, 12, 1))
    assert start.utcoffset() == timedelta(0)


def test_period_of_refuses_naive_times_and_unknown_periods() -> None:
    with pytest.raises(InputError, match="naive"):
        period_of(datetime(2026, 11, 24))
    with pytest.raises(InputError) as info:
        period_of(utc(2026, 11, 24), "weekly")  # type: ignore[arg-type]
    assert info.value.field == "period"
