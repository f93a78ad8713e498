"""The margin guard: keep a product while its margin meets the floor, pause it with the reason."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules import Costs, Floor, Verdict, guard, make_floor

D = Decimal


def test_a_margin_that_meets_the_floor_is_kept() -> None:
    decision = guard(D("29.99"), Costs(D("12"), D("3")), make_floor(D(30)), currency="USD")
    assert decision.verdict is Verdict.KEEP
    assert decision.margin == D("14.99")
    assert decision.margin_percent == D("49.98")
    assert "meets your floor" in decision.reason


def test_a_supplier_cost_rise_below_the_percent_floor_pauses_with_the_reason() -> None:
    before, now = Costs(D("12"), D("3")), Costs(D("19.50"), D("3"))
    decision = guard(D("29.99"), now, make_floor(D(30)), currency="USD", before=before)
    assert decision.verdict is Verdict.PAUSE
    assert decision.margin == D("7.49")
    assert decision.margin_percent == D("24.97")
    assert decision.reason == (
        "supplier cost went from 12.00 to 19.50 USD: margin 7.49 USD (24.97 % of 29.99) "
        "is below your floor of 30 %"
    )


def test_a_shipping_rise_below_the_amount_floor_pauses_naming_shipping() -> None:
    before, now = Costs(D("10"), D("2")), Costs(D("10"), D("9"))
    floor = make_floor(amount=D(5))
    assert guard(D("20"), before, floor, currency="EUR").verdict is Verdict.KEEP
    decision = guard(D("20"), now, floor, currency="EUR", before=before)
    assert decision.verdict is Verdict.PAUSE
    assert decision.reason.startswith("shipping went from 2.00 to 9.00 EUR")
    assert "below your floor of 5.00 EUR" in decision.reason
    assert "supplier cost" not in decision.reason


def test_both_bounds_are_checked_and_both_shortfalls_named() -> None:
    floor = make_floor(D(40), D(10))
    decision = guard(D("20"), Costs(D("14"), D("0")), floor, currency="USD")
    assert decision.verdict is Verdict.PAUSE
    assert "10.00 USD" in decision.reason
    assert "40 %" in decision.reason
    # Enough percent but too few dollars on a cheap item: the amount bound alone pauses it.
    cheap = guard(D("10"), Costs(D("4"), D("0")), floor, currency="USD")
    assert cheap.verdict is Verdict.PAUSE
    assert "10.00 USD" in cheap.reason
    assert "40 %" not in cheap.reason


def test_the_floor_is_compared_exactly_not_after_rounding() -> None:
    # 2.9996 of 10.00 is 29.996 %, shown as 30 % but still below a 30 % floor.
    decision = guard(D("10.00"), Costs(D("7.0004"), D(0)), make_floor(D(30)), currency="USD")
    assert decision.margin_percent == D("30.00")
    assert decision.verdict is Verdict.PAUSE


@pytest.mark.parametrize(
    ("percent", "amount", "field"),
    [
        (None, None, "floor"),
        (D(-1), None, "floor.percent"),
        (D(100), None, "floor.percent"),
        (None, D(-2), "floor.amount"),
        (D("NaN"), None, "floor.percent"),
    ],
)
def test_a_bad_floor_is_refused(
    percent: Decimal | None, amount: Decimal | None, field: str
) -> None:
    with pytest.raises(CommerceInputError) as caught:
        make_floor(percent, amount)
    assert caught.value.field == field


def test_a_negative_price_or_cost_is_refused() -> None:
    floor = make_floor(D(10))
    with pytest.raises(CommerceInputError) as caught:
        guard(D(-1), Costs(D(1), D(1)), floor, currency="USD")
    assert caught.value.field == "price"
    with pytest.raises(CommerceInputError) as caught:
        guard(D(10), Costs(D(1), D(-1)), floor, currency="USD")
    assert caught.value.field == "shipping"


amounts = st.decimals(min_value=0, max_value=10_000, places=2)
floors = st.builds(
    Floor,
    percent=st.one_of(st.none(), st.decimals(min_value=0, max_value=D("99.99"), places=2)),
    amount=st.one_of(st.none(), amounts),
).filter(lambda floor: floor.percent is not None or floor.amount is not None)


@given(amounts, amounts, amounts, floors)
def test_pause_exactly_when_below_a_bound(
    price: Decimal, cost: Decimal, shipping: Decimal, floor: Floor
) -> None:
    decision = guard(price, Costs(cost, shipping), floor, currency="USD")
    margin = price - cost - shipping
    below_amount = floor.amount is not None and margin < floor.amount
    below_percent = floor.percent is not None and (
        margin / price * 100 < floor.percent if price > 0 else floor.percent > 0
    )
    assert (decision.verdict is Verdict.PAUSE) == (below_amount or below_percent)
    assert decision.margin == margin
    assert decision.reason


@given(amounts, amounts, amounts, amounts, floors)
def test_a_cost_rise_never_unpauses(
    price: Decimal, cost: Decimal, shipping: Decimal, rise: Decimal, floor: Floor
) -> None:
    before = guard(price, Costs(cost, shipping), floor, currency="USD")
    after = guard(
        price,
        Costs(cost + rise, shipping),
        floor,
        currency="USD",
        before=Costs(cost, shipping),
    )
    if before.verdict is Verdict.PAUSE:
        assert after.verdict is Verdict.PAUSE
    if after.verdict is Verdict.PAUSE and rise:
        assert after.reason.startswith("supplier cost went from")
