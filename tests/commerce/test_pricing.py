"""Price rules: ranges chosen by landed cost, charm endings that never lower a price, margins."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules import (
    CostRange,
    PriceRule,
    SupplierCost,
    charm,
    landed_cost,
    make_rule,
    margin_of,
    price_for,
    quote,
)

D = Decimal


def _rule(ending: str | None = "0.99", factor: str | None = "1.4") -> PriceRule:
    """Cheap items x3, middle x2, dear ones + a fixed 40."""
    return make_rule(
        "usd",
        [
            CostRange(D(0), D(10), multiplier=D(3)),
            CostRange(D(10), D(50), multiplier=D(2)),
            CostRange(D(50), None, margin=D(40)),
        ],
        ending=None if ending is None else D(ending),
        compare_at_factor=None if factor is None else D(factor),
    )


def test_a_supplier_sku_is_priced_by_the_range_of_its_landed_cost() -> None:
    supplier = SupplierCost("USD", D("6.20"), {"US": D("2.30"), "EU": D("4.10"), "*": D("9")})
    us = quote(_rule(), supplier, "us")
    assert (us.currency, us.landed, us.price) == ("USD", D("8.50"), D("25.99"))  # 25.50 → .99
    assert us.compare_at == D("36.99")  # 25.99 x 1.4 = 36.386 → 36.99
    assert us.margin == D("17.49")
    assert us.margin_percent == D("67.30")
    eu = quote(_rule(), supplier, "EU")
    assert (eu.landed, eu.price) == (D("10.30"), D("20.99"))  # second range: x 2 = 20.60
    assert quote(_rule(), supplier, "BR").landed == D("15.20")  # the "any zone" price
    dear = SupplierCost("USD", D("70"), {"US": D("5")})
    assert quote(_rule(ending="0.00", factor=None), dear, "US").price == D("115.00")
    assert quote(_rule(ending="0.00", factor=None), dear, "US").compare_at is None


def test_range_boundaries_belong_to_the_range_that_starts_there() -> None:
    rule = _rule(ending=None)
    assert price_for(rule, D("9.99")) == D("29.97")
    assert price_for(rule, D("10")) == D("20.00")
    assert price_for(rule, D("50")) == D("90")


def test_charm_rounds_up_to_the_ending() -> None:
    assert charm(D("12.00"), D("0.99")) == D("12.99")
    assert charm(D("12.99"), D("0.99")) == D("12.99")
    assert charm(D("13.00"), D("0.95")) == D("13.95")
    assert charm(D("13.96"), D("0.95")) == D("14.95")
    assert charm(D("13.01"), D("0.00")) == D("14.00")
    assert charm(D("13.001"), None) == D("13.01")  # up to the cent, never half-down


def test_margin_is_amount_and_percent_of_price() -> None:
    assert margin_of(D("30"), D("40")) == (D("10"), D("25.00"))
    assert margin_of(D("0"), D("0")) == (D("0"), D("0"))
    assert margin_of(D("50"), D("40")) == (D("-10"), D("-25.00"))


@pytest.mark.parametrize(
    ("ranges", "field"),
    [
        ([], "ranges"),
        ([CostRange(D(1), None, multiplier=D(2))], "ranges[0].start"),
        (
            [CostRange(D(0), D(10), multiplier=D(2)), CostRange(D(8), None, multiplier=D(2))],
            "ranges[1].start",
        ),
        (
            [CostRange(D(0), D(10), multiplier=D(2)), CostRange(D(12), None, multiplier=D(2))],
            "ranges[1].start",
        ),
        ([CostRange(D(0), D(10), multiplier=D(2))], "ranges[0].end"),
        (
            [CostRange(D(0), None, multiplier=D(2)), CostRange(D(10), None, multiplier=D(2))],
            "ranges[0].end",
        ),
        ([CostRange(D(0), None, multiplier=D(-2))], "ranges[0].multiplier"),
        ([CostRange(D(0), None, multiplier=D("0.8"))], "ranges[0].multiplier"),
        ([CostRange(D(0), None, margin=D(-1))], "ranges[0].margin"),
        ([CostRange(D(0), None)], "ranges[0]"),
        ([CostRange(D(0), None, multiplier=D(2), margin=D(1))], "ranges[0]"),
        ([CostRange(D(0), D(0), multiplier=D(2))], "ranges[0].end"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_field(ranges: list[CostRange], field: str) -> None:
    with pytest.raises(CommerceInputError) as caught:
        make_rule("USD", ranges)
    assert caught.value.field == field


def test_bad_currency_ending_and_factor_are_refused() -> None:
    one = [CostRange(D(0), None, multiplier=D(2))]
    for currency, ending, factor, field in (
        ("dollars", None, None, "currency"),
        ("USD", D("1.5"), None, "ending"),
        ("USD", D("0.999"), None, "ending"),
        ("USD", None, D("0.9"), "compare_at_factor"),
    ):
        with pytest.raises(CommerceInputError) as caught:
            make_rule(currency, one, ending=ending, compare_at_factor=factor)
        assert caught.value.field == field


def test_currency_mismatch_and_unknown_zone_are_refused() -> None:
    supplier = SupplierCost("EUR", D(5), {"EU": D(1)})
    with pytest.raises(CommerceInputError) as caught:
        quote(_rule(), supplier, "EU")
    assert caught.value.field == "currency"
    assert "EUR" in caught.value.message
    with pytest.raises(CommerceInputError) as caught:
        landed_cost(supplier, "US", currency="EUR")
    assert caught.value.field == "zone"
    assert "EU" in caught.value.message
    with pytest.raises(CommerceInputError) as caught:
        landed_cost(SupplierCost("EUR", D(-5), {"EU": D(1)}), "EU", currency="EUR")
    assert caught.value.field == "cost"


amounts = st.decimals(min_value=0, max_value=100_000, places=2)
endings = st.one_of(st.none(), st.decimals(min_value=0, max_value=D("0.99"), places=2))
multipliers = st.decimals(min_value=1, max_value=20, places=2)
margins = st.decimals(min_value=0, max_value=500, places=2)
factors = st.one_of(st.none(), st.decimals(min_value=1, max_value=5, places=2))


@st.composite
def rules(draw: st.DrawFn) -> PriceRule:
    """Any valid rule: touching ranges from 0, each by multiplier or margin, open last."""
    bounds = sorted(set(draw(st.lists(st.decimals(1, 10_000, places=2), max_size=4))))
    starts = [D(0), *bounds]
    ranges = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else None
        if draw(st.booleans()):
            ranges.append(CostRange(start, end, multiplier=draw(multipliers)))
        else:
            ranges.append(CostRange(start, end, margin=draw(margins)))
    return make_rule("USD", ranges, ending=draw(endings), compare_at_factor=draw(factors))


@given(rules(), amounts)
def test_price_never_below_landed_cost(rule: PriceRule, landed: Decimal) -> None:
    assert price_for(rule, landed) >= landed


@given(amounts, endings)
def test_charm_never_lowers_and_ends_as_asked(amount: Decimal, ending: Decimal | None) -> None:
    result = charm(amount, ending)
    assert result >= amount
    assert result - amount < 1  # the next ending up, not one further
    if ending is not None:
        assert result % 1 == ending


@given(rules(), amounts, amounts)
def test_price_is_monotone_in_cost_within_a_range(rule: PriceRule, a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    same = [r for r in rule.ranges if r.start <= low and (r.end is None or high < r.end)]
    if same:
        assert price_for(rule, low) <= price_for(rule, high)


@given(rules(), amounts, amounts)
def test_compare_at_is_never_below_price(rule: PriceRule, cost: Decimal, shipping: Decimal) -> None:
    priced = quote(rule, SupplierCost("USD", cost, {"*": shipping}), "US")
    assert priced.landed == cost + shipping
    assert priced.price >= priced.landed
    assert priced.margin >= 0
    if rule.compare_at_factor is None:
        assert priced.compare_at is None
    else:
        assert priced.compare_at is not None
        assert priced.compare_at >= priced.price
        assert priced.compare_at >= priced.price * rule.compare_at_factor
        if rule.ending is not None:
            assert priced.compare_at % 1 == rule.ending


def test_whole_number_multipliers_and_margins_are_accepted() -> None:
    rule = make_rule("USD", [CostRange(D(0), D(5), margin=3), CostRange(D(5), None, multiplier=2)])  # type: ignore[arg-type]
    assert price_for(rule, D("4")) == D("7.00")
    assert price_for(rule, D("6")) == D("12.00")
    with pytest.raises(CommerceInputError) as caught:
        make_rule("USD", [CostRange(D(0), None, multiplier=True)])  # type: ignore[arg-type]
    assert caught.value.field == "ranges[0].multiplier"


def test_a_price_too_large_to_store_is_refused_not_overflowed() -> None:
    rule = make_rule("USD", [CostRange(D(0), None, multiplier=D(1000))])
    with pytest.raises(CommerceInputError) as caught:
        price_for(rule, D("999999999999999"))
    assert caught.value.field == "price"
