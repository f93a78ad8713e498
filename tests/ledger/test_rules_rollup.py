"""The daily rollup of a batch without a database: one pass equals one transaction at a time."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from evergreen.ledger.rules import Leg, daily_figures, daily_figures_many

ACCOUNTS = ["Income:Sales", "Expenses:Fees", "Equity:Capital", "Assets:Equipment", "Assets:Bank"]


@given(
    st.lists(
        st.lists(
            st.tuples(
                st.sampled_from(ACCOUNTS),
                st.integers(-(10**6), 10**6).map(lambda units: Decimal(units).scaleb(-2)),
                st.sampled_from(["USD", "EUR"]),
                st.sampled_from([None, 1, 2]),
            ),
            min_size=1,
            max_size=3,
        ),
        max_size=30,
    ),
    st.lists(st.integers(0, 3), min_size=30, max_size=30),
)
def test_a_batchs_daily_figures_are_the_sum_of_each_transactions(
    transactions: list[list[tuple[str, Decimal, str, int | None]]], offsets: list[int]
) -> None:
    day = date(2026, 1, 1)
    entries = [
        (day + timedelta(days=offset), [Leg(*leg) for leg in legs])
        for offset, legs in zip(offsets, transactions, strict=False)
    ]
    expected: dict[tuple[int, date, str], tuple[Decimal, Decimal, Decimal, int]] = {}
    for when, legs in entries:
        for key, (i, c, k, n) in daily_figures(when, legs).items():
            a, b, e, m = expected.get(key, (Decimal(0), Decimal(0), Decimal(0), 0))
            expected[key] = (a + i, b + c, e + k, m + n)
    assert daily_figures_many(entries) == expected


def test_income_and_capital_are_credits_and_other_accounts_do_not_count() -> None:
    day = date(2026, 1, 1)
    legs = [Leg("Income:Sales", Decimal(-5), "USD", 1), Leg("Expenses:Fees", Decimal(2), "USD", 1),
            Leg("Equity:Capital", Decimal(-7), "USD", 1), Leg("Assets:Bank", Decimal(10), "USD", 1),
            Leg("Income:Sales", Decimal(-1), "USD", None)]  # fmt: skip
    assert daily_figures_many([(day, legs), (day, legs[:1])]) == {
        (1, day, "USD"): (Decimal(10), Decimal(2), Decimal(7), 4)
    }
