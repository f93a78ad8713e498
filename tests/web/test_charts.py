"""Chart rules without a browser: round axis steps that hold every value, and bars that never
share a label or a series."""

from __future__ import annotations

import itertools
import math

import pytest

from evergreen.web.charts import bar_chart, compact, nice_scale


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 0, (0.0, 1.0, 0.2)),
        (0, 7, (0.0, 8.0, 2.0)),
        (0, 18.75, (0.0, 20.0, 5.0)),
        (-3.2, 11.15, (-5.0, 15.0, 5.0)),
        (0, 0.3, (0.0, 0.3, 0.1)),
        (0.1, 0.7, (0.0, 0.8, 0.2)),
        (-21_299, 124_378, (-50_000.0, 150_000.0, 50_000.0)),
        (-8, -2, (-8.0, 0.0, 2.0)),
    ],
)
def test_nice_scale_picks_round_bounds(
    low: float, high: float, expected: tuple[float, float, float]
) -> None:
    scale = nice_scale(low, high)
    assert (scale.low, scale.high, scale.step) == expected


@pytest.mark.parametrize(
    ("low", "high"),
    [(0, 1), (0, 99), (0, 101), (-1e-3, 7e-3), (-5, 5), (3, 1234567), (-9.99, 0), (0, 1e12)],
)
def test_every_scale_holds_zero_and_the_values_in_at_most_five_round_steps(
    low: float, high: float
) -> None:
    scale = nice_scale(low, high)
    ticks = scale.ticks()
    assert ticks[0] == scale.low <= min(low, 0)
    assert ticks[-1] == scale.high >= max(high, 0)
    assert 0.0 in ticks
    assert 2 <= len(ticks) <= 6
    mantissa = scale.step / 10 ** math.floor(math.log10(scale.step))
    assert round(mantissa, 6) in (1, 2, 5)
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert gaps == {round(scale.step, 9)}


def test_a_scale_refuses_what_it_cannot_draw() -> None:
    with pytest.raises(ValueError, match="finite"):
        nice_scale(0, math.inf)


@pytest.mark.parametrize(
    ("value", "label"),
    [(0, "0"), (950, "950"), (12.5, "12.50"), (0.05, "0.05"), (12_500, "12.5k"),
     (3_400_000, "3.4M"), (1.2e9, "1.2B"), (-250, "-250"), (-0.5, "-0.5")],
)  # fmt: skip
def test_compact_labels(value: float, label: str) -> None:
    assert compact(value) == label


def test_two_currencies_in_one_month_are_two_series_under_one_label() -> None:
    chart = bar_chart(
        "Earnings", ["2026-01", "2026-02"], [("EUR", [None, 9.5]), ("USD", [18.75, 30.0])]
    )
    assert [tick.label for tick in chart.x_ticks] == ["2026-01", "2026-02"]
    assert chart.legend == ["EUR", "USD"]
    assert [(b.group, b.name, b.value) for b in chart.bars] == [
        ("2026-01", "USD", 18.75), ("2026-02", "EUR", 9.5), ("2026-02", "USD", 30.0),
    ]  # fmt: skip
    eur, usd = chart.bars[1], chart.bars[2]
    assert eur.x + eur.width <= usd.x  # side by side, never stacked into one bar
    assert usd.height == pytest.approx(30 / 18.75 * chart.bars[0].height)
    assert [t.label for t in chart.y_ticks] == ["0", "10", "20", "30"]
    assert all(bar.y + bar.height == chart.zero for bar in chart.bars)
    assert all(bar.show_text for bar in chart.bars)


def test_negative_bars_hang_below_the_zero_line() -> None:
    chart = bar_chart("RI", ["1", "2"], [("Residual income", [-2.0, 4.0])])
    loss, gain = chart.bars
    assert loss.y == chart.zero
    assert loss.height > 0
    assert gain.y + gain.height == chart.zero
    assert loss.text_y > chart.zero
    assert gain.text_y < gain.y
    assert chart.bottom > chart.zero > chart.top


def test_a_label_may_appear_once_only_and_every_series_fills_every_group() -> None:
    with pytest.raises(ValueError, match="unique"):
        bar_chart("x", ["2026-01", "2026-01"], [("USD", [1.0, 2.0])])
    with pytest.raises(ValueError, match="per group"):
        bar_chart("x", ["2026-01"], [("USD", [1.0, 2.0])])


def test_many_groups_thin_their_labels_and_hide_values_that_do_not_fit() -> None:
    groups = [f"{year}" for year in range(2000, 2060)]
    chart = bar_chart("Balance", groups, [("Balance", [1000.0 * i for i in range(60)])])
    assert 4 <= len(chart.x_ticks) < 60
    assert len({tick.label for tick in chart.x_ticks}) == len(chart.x_ticks)
    assert not any(bar.show_text for bar in chart.bars if len(bar.text) > 3)
