"""Sparklines and waterfalls without a browser: points in order inside the box, a zero line
only when the series crosses zero, and waterfall steps that stack up to their total."""

from __future__ import annotations

import pytest

from evergreen.web.charts import sparkline, waterfall


def _points(text: str) -> list[tuple[float, float]]:
    return [tuple(map(float, pair.split(","))) for pair in text.split()]  # type: ignore[misc]


def test_a_sparkline_runs_left_to_right_inside_its_box_highest_value_on_top() -> None:
    line = sparkline([1.0, 5.0, 3.0], width=100, height=20)
    points = _points(line.points)
    assert [x for x, _y in points] == sorted(x for x, _y in points)
    assert all(0 <= x <= 100 and 0 <= y <= 20 for x, y in points)
    assert points[1][1] < points[2][1] < points[0][1]  # SVG y grows downwards
    assert line.last == points[-1]
    assert (line.low, line.high, line.zero) == (1.0, 5.0, None)


def test_a_sparkline_crossing_zero_draws_the_zero_line_between_its_extremes() -> None:
    line = sparkline([-2.0, 2.0], height=30)
    assert line.zero is not None
    low_y, high_y = _points(line.points)[0][1], _points(line.points)[1][1]
    assert high_y < line.zero < low_y


@pytest.mark.parametrize("values", [[], [None, None], [4.0], [0.0, 0.0, 0.0]])
def test_a_flat_or_empty_sparkline_is_still_drawable(values: list[float | None]) -> None:
    line = sparkline(values)
    known = [v for v in values if v is not None]
    assert len(line.points.split()) == len(known)
    assert all(y == line.height / 2 for _x, y in _points(line.points))


def test_a_gap_leaves_its_place_but_draws_no_point() -> None:
    line = sparkline([1.0, None, 3.0], width=100)
    xs = [x for x, _y in _points(line.points)]
    assert len(xs) == 2
    assert xs[1] == 97.0


def test_waterfall_steps_stack_from_the_running_total_to_the_total_bar() -> None:
    chart = waterfall("Bridge", [("Capital", 1000.0), ("Y1", 300.0), ("Y2", -200.0)], "Value")
    capital, first, second, total = chart.steps
    assert total.total
    assert total.value == 1100.0
    assert total.label == "Value"
    assert first.y + first.height == pytest.approx(capital.y, abs=0.02)  # starts on capital's top
    assert second.y == pytest.approx(first.y, abs=0.02)
    assert not second.rising
    assert total.y == pytest.approx(second.y + second.height, abs=0.02)
    assert capital.y + capital.height == pytest.approx(chart.zero, abs=0.02)
    assert [s.joins_at for s in chart.steps[:3]] == [capital.y, first.y, total.y]
    assert chart.x_ticks[-1].label == "Value"


def test_a_waterfall_below_zero_keeps_zero_on_its_axis() -> None:
    chart = waterfall("Bridge", [("Capital", 0.0), ("Y1", -50.0)])
    assert chart.top <= chart.zero < chart.bottom
    assert chart.steps[-1].value == -50.0
    assert not chart.steps[-1].rising
    assert "0" in [tick.label for tick in chart.y_ticks]
