"""Waterfalls without a browser: each step starts where the running total stands, and the
last bar is the total, on an axis that holds zero."""

from __future__ import annotations

import pytest

from evergreen.web.charts import waterfall


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
