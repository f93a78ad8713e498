"""The self-liquidating offer's figures: liquidation ratio, earnings, take rates, days to pay."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules import (
    AdSpend,
    OfferKind,
    SaleLine,
    Traffic,
    days_to_liquidate,
    funnel_stats,
)

D = Decimal
Offer = OfferKind
DAY1, DAY2, DAY3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)


def sale(day: date, kind: OfferKind, amount: str, **kw: object) -> SaleLine:
    return SaleLine(day, "spring", "meta", kind, D(amount), **kw)  # type: ignore[arg-type]


def day_one() -> tuple[list[AdSpend], list[Traffic], list[SaleLine]]:
    spend = [AdSpend(DAY1, "spring", "meta", D("100"))]
    traffic = [Traffic(DAY1, "spring", "meta", 200, 50)]
    sales = [
        sale(DAY1, Offer.FRONT_END, "27", fee=D("1.08")),
        sale(DAY1, Offer.FRONT_END, "27", fee=D("1.08")),
        sale(DAY1, Offer.FRONT_END, "27", refunded=D("27"), fee=D("1.08")),
        sale(DAY1, Offer.FRONT_END, "27", fee=D("1.08")),
        sale(DAY1, Offer.BUMP, "17", fee=D("0.50")),
        sale(DAY1, Offer.UPSELL, "97", fee=D("3")),
        sale(DAY1, Offer.UPSELL, "47", step=2, fee=D("1.50")),
        sale(DAY1, Offer.DOWNSELL, "37", fee=D("1.20")),
    ]
    return spend, traffic, sales


def test_a_days_figures_as_a_funnel_owner_reads_them() -> None:
    (stats,) = funnel_stats(*day_one())
    assert stats.key == "2026-03-01"
    assert (stats.front_end_orders, stats.front_end_revenue) == (4, D(108))
    assert (stats.bump_revenue, stats.upsell_revenue, stats.downsell_revenue) == (
        D(17),
        D(144),
        D(37),
    )
    assert (stats.refunds, stats.fees) == (D(27), D("10.52"))
    # 108 - 27 refunded - 4.32 fees
    assert stats.net_front_end_revenue == D("76.68")
    assert stats.liquidation_ratio == D("0.7668")
    # 306 - 27 - 10.52
    assert stats.net_revenue == D("268.48")
    assert stats.earnings_per_visitor == D("1.3424")
    assert stats.earnings_per_registrant == D("5.3696")
    assert stats.bump_take_rate == D("0.25")
    assert stats.upsell_take_rates == ((1, D("0.25")), (2, D("0.25")))
    assert stats.downsell_take_rates == ((1, D("0.25")),)
    assert stats.days_to_liquidate == 0  # the upsells paid for the day's ads that day
    assert stats.notes == ()


def test_a_front_end_that_pays_for_the_ads_liquidates() -> None:
    spend = [AdSpend(DAY1, "spring", "meta", D("50"))]
    sales = [sale(DAY1, Offer.FRONT_END, "50")]
    (stats,) = funnel_stats(spend, [], sales)
    assert stats.liquidation_ratio == D(1)
    (short,) = funnel_stats([AdSpend(DAY1, "c", "s", D("80"))], [], [sale(DAY1, Offer.BUMP, "9")])
    assert short.days_to_liquidate is None
    assert "not liquidated yet: net revenue 9.00 is below ad spend 80.00" in short.notes


def test_time_to_liquidate_counts_days_until_cumulative_revenue_covers_spend() -> None:
    spend = [AdSpend(d, "spring", "meta", D("100")) for d in (DAY1, DAY2, DAY3)]
    sales = [
        sale(DAY1, Offer.FRONT_END, "80"),
        sale(DAY2, Offer.FRONT_END, "90"),
        sale(DAY2, Offer.UPSELL, "197", paid_on=DAY3),
    ]
    # cumulative net - spend: -20, -30, then +67 once the upsell is paid on day three
    assert days_to_liquidate(spend, sales) == 2
    assert days_to_liquidate(spend, sales[:2]) is None
    assert days_to_liquidate([], sales) is None


def test_division_by_zero_is_none_with_words_never_an_error() -> None:
    (stats,) = funnel_stats([], [Traffic(DAY1, "spring", "meta", 0, 0)], [])
    assert stats.liquidation_ratio is None
    assert stats.earnings_per_visitor is None
    assert stats.earnings_per_registrant is None
    assert stats.bump_take_rate is None
    assert stats.days_to_liquidate is None
    assert "no ad spend, so no liquidation ratio (nothing to pay back)" in stats.notes
    assert "no visitors, so no earnings per visitor" in stats.notes
    assert "no front-end orders, so no bump take rate" in stats.notes
    (orphan,) = funnel_stats([], [], [sale(DAY1, Offer.UPSELL, "10")])
    assert orphan.upsell_take_rates == ((1, None),)
    assert "no front-end orders, so no take rate for upsell 1" in orphan.notes


def test_grouping_by_campaign_source_and_in_total() -> None:
    spend, traffic, sales = day_one()
    spend.append(AdSpend(DAY2, "autumn", "google", D("40")))
    sales.append(SaleLine(DAY2, "autumn", "google", Offer.FRONT_END, D("50")))
    by_campaign = funnel_stats(spend, traffic, sales, by="campaign")
    assert [(s.key, s.ad_spend) for s in by_campaign] == [("autumn", D(40)), ("spring", D(100))]
    assert by_campaign[0].liquidation_ratio == D("1.25")
    assert [s.key for s in funnel_stats(spend, traffic, sales, by="source")] == ["google", "meta"]
    (total,) = funnel_stats(spend, traffic, sales, by="total")
    assert (total.key, total.ad_spend, total.front_end_orders) == ("total", D(140), 5)


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        (([AdSpend(DAY1, "c", "s", D(-1))], [], []), "ad_spend.amount"),
        (([], [Traffic(DAY1, "c", "s", -3, 0)], []), "traffic.visitors"),
        (([], [], [sale(DAY1, Offer.FRONT_END, "10", refunded=D(11))]), "sale.refunded"),
        (([], [], [sale(DAY1, Offer.FRONT_END, "10", fee=D("-0.3"))]), "sale.fee"),
        (([], [], [sale(DAY1, Offer.UPSELL, "10", step=0)]), "sale.step"),
        (([], [], [SaleLine(DAY1, "c", "s", Offer.BUMP, 10.5)]), "sale.amount"),  # type: ignore[arg-type]
    ],
)
def test_impossible_rows_are_refused_by_field(rows, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommerceInputError) as refused:
        funnel_stats(*rows)
    assert refused.value.field == field


def test_an_unknown_grouping_is_refused() -> None:
    with pytest.raises(CommerceInputError, match="day, campaign, source, total"):
        funnel_stats([], [], [], by="week")


_MONEY = st.integers(0, 100_000).map(lambda c: D(c) / 100)
_DAYS = st.integers(0, 9).map(lambda n: DAY1 + timedelta(days=n))


@st.composite
def funnels(draw: st.DrawFn) -> tuple[list[AdSpend], list[Traffic], list[SaleLine]]:
    campaigns = st.sampled_from(["a", "b"])
    spend = draw(st.lists(st.builds(AdSpend, _DAYS, campaigns, st.just("meta"), _MONEY)))
    traffic = draw(
        st.lists(
            st.builds(
                Traffic, _DAYS, campaigns, st.just("meta"), st.integers(0, 999), st.integers(0, 99)
            )
        )
    )
    sales = []
    for _ in range(draw(st.integers(0, 12))):
        amount = draw(_MONEY)
        sales.append(
            SaleLine(
                draw(_DAYS),
                draw(campaigns),
                "meta",
                draw(st.sampled_from(list(OfferKind))),
                amount,
                step=draw(st.integers(1, 3)),
                refunded=draw(st.sampled_from([D(0), amount])),
                fee=draw(_MONEY),
                paid_on=draw(st.one_of(st.none(), _DAYS)),
            )
        )
    return spend, traffic, sales


@settings(max_examples=150, deadline=None)
@given(funnels(), st.sampled_from(["day", "campaign", "source", "total"]))
def test_any_funnel_reports_without_error_and_groups_add_up_to_the_total(
    rows: tuple[list[AdSpend], list[Traffic], list[SaleLine]], by: str
) -> None:
    spend, traffic, sales = rows
    groups = funnel_stats(spend, traffic, sales, by=by)
    (total,) = funnel_stats(spend, traffic, sales, by="total") or [None]  # type: ignore[list-item]
    if total is None:
        assert groups == []
        return
    for name in ("ad_spend", "net_revenue", "net_front_end_revenue", "refunds", "fees"):
        assert sum((getattr(g, name) for g in groups), D(0)) == getattr(total, name)
    assert sum(g.front_end_orders for g in groups) == total.front_end_orders
    for g in groups:
        if g.ad_spend > 0:
            assert g.liquidation_ratio is not None
            assert (g.liquidation_ratio >= 1) == (g.net_front_end_revenue >= g.ad_spend)
        else:
            assert g.liquidation_ratio is None
            assert any("liquidation ratio" in note for note in g.notes)
        if g.bump_take_rate is not None:
            assert g.bump_take_rate >= 0


@settings(max_examples=150, deadline=None)
@given(funnels())
def test_time_to_liquidate_is_the_first_day_revenue_covers_spend(
    rows: tuple[list[AdSpend], list[Traffic], list[SaleLine]],
) -> None:
    spend, _traffic, sales = rows
    days = days_to_liquidate(spend, sales)

    def covered_by(last: date) -> bool:
        spent = sum((r.amount for r in spend if r.day <= last), D(0))
        earned = sum(
            (s.amount - s.refunded - s.fee for s in sales if (s.paid_on or s.day) <= last), D(0)
        )
        return spent > 0 and earned >= spent

    every = sorted({r.day for r in spend} | {s.paid_on or s.day for s in sales})
    first_covered = next((d for d in every if covered_by(d)), None)
    if first_covered is None or not spend:
        assert days is None
    else:
        assert days == (first_covered - every[0]).days
