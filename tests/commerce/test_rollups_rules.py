"""The rollup's rules without a database: a funnel's figures from N single sale lines equal
those from their sums by (cohort day, kind, step, paid day) with `orders` counting them, and
each line's part of an order's refund and fee is shared exactly as the report always did."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.funnel_rollup import LineFigures, figures_delta, line_figures
from evergreen.commerce.rules.funnel_stats import AdSpend, OfferKind, SaleLine, funnel_stats

START = date(2026, 11, 1)


@st.composite
def sale(draw: st.DrawFn) -> SaleLine:
    amount = draw(st.integers(0, 50_000))
    day = START + timedelta(days=draw(st.integers(0, 4)))
    return SaleLine(
        day, "", "", draw(st.sampled_from(list(OfferKind))), Decimal(amount) / 100,
        step=draw(st.integers(1, 3)),
        refunded=Decimal(draw(st.integers(0, amount))) / 100,
        fee=Decimal(draw(st.integers(0, 500))) / 100,
        paid_on=day,
    )  # fmt: skip


def _summed(sales: list[SaleLine]) -> list[SaleLine]:
    """What the rollup keeps: one line per (day, kind, step, paid day), amounts summed."""
    groups: dict[tuple[object, ...], list[SaleLine]] = {}
    for s in sales:
        groups.setdefault((s.day, s.kind, s.step, s.paid_on), []).append(s)
    return [
        SaleLine(day, "", "", kind, sum((s.amount for s in rows), Decimal(0)), step=step,
                 refunded=sum((s.refunded for s in rows), Decimal(0)),
                 fee=sum((s.fee for s in rows), Decimal(0)), paid_on=paid_on, orders=len(rows))
        for (day, kind, step, paid_on), rows in groups.items()
    ]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    st.lists(sale(), max_size=40),
    st.lists(st.integers(0, 100_000), max_size=5),
    st.sampled_from(["day", "total"]),
)
def test_stats_of_single_lines_equal_those_of_their_sums(
    sales: list[SaleLine], spend: list[int], by: str
) -> None:
    ads = [
        AdSpend(START + timedelta(days=n), "", "", Decimal(c) / 100) for n, c in enumerate(spend)
    ]
    single = funnel_stats(ads, [], sales, by=by)
    assert funnel_stats(ads, [], _summed(sales), by=by) == single
    if by == "total" and sales:
        fronts = sum(1 for s in sales if s.kind is OfferKind.FRONT_END)
        assert single[0].front_end_orders == fronts


def test_an_aggregate_counts_its_orders_in_take_rates() -> None:
    lines = [
        SaleLine(START, "", "", OfferKind.FRONT_END, Decimal("2900.00"), orders=100),
        SaleLine(START, "", "", OfferKind.BUMP, Decimal("225.00"), orders=25),
        SaleLine(START, "", "", OfferKind.UPSELL, Decimal("500.00"), step=2, orders=10),
    ]
    total = funnel_stats([], [], lines, by="total")[0]
    assert total.front_end_orders == 100
    assert total.bump_take_rate == Decimal("0.2500")
    assert total.upsell_take_rates == ((2, Decimal("0.1000")),)
    with pytest.raises(CommerceInputError) as refused:
        funnel_stats([], [], [SaleLine(START, "", "", OfferKind.BUMP, Decimal(1), orders=0)])
    assert refused.value.field == "sale.orders"


@given(
    st.lists(st.tuples(st.integers(0, 100_000), st.integers(0, 100)), min_size=1, max_size=4),
    st.lists(st.integers(0, 100_000), min_size=1, max_size=4),
    st.integers(0, 5_000),
)
def test_refund_steps_add_up_to_the_figures_of_the_final_refund(
    shape: list[tuple[int, int]], steps: list[int], fee: int
) -> None:
    lines = [(total + tax, tax) for total, tax in shape]
    refunds = sorted(steps)
    state = line_figures(lines, 0, fee)
    assert [f.net for f in state] == [total for total, _tax in shape]
    assert sum(f.fee for f in state) == min(fee, sum(t for t, _x in lines))
    kept = state
    for refunded in refunds:
        after = line_figures(lines, refunded, fee)
        moved = figures_delta(kept, after)
        assert all(m.net == 0 and m.fee == 0 for m in moved)
        state = [LineFigures(a.net + m.net, a.refunded + m.refunded, a.fee + m.fee)
                 for a, m in zip(state, moved, strict=True)]  # fmt: skip
        kept = after
    assert state == line_figures(lines, refunds[-1], fee)
