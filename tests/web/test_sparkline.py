"""Sparklines (web/charts.py): a word-sized line whose highest and lowest values touch the box."""

from __future__ import annotations

from evergreen.web.charts import sparkline


def _points(line: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (pair.split(",") for pair in line.split())]


def test_a_sparkline_spans_its_box_from_the_first_value_to_the_last() -> None:
    line = sparkline([3.0, -1.0, 5.0, 2.0], title="RI by month", width=100, height=20)
    assert line is not None
    points = _points(line.points)
    assert [x for x, _ in points] == [2.0, 34.0, 66.0, 98.0]
    ys = [y for _, y in points]
    assert min(ys) == 2.0
    assert max(ys) == 18.0
    assert ys[2] == 2.0
    assert ys[1] == 18.0
    assert (line.last_x, line.last_y) == points[-1]
    assert line.zero is not None
    assert ys[1] > line.zero > ys[2]
    assert line.title == "RI by month"


def test_a_flat_or_one_sided_series_has_a_level_line_and_no_zero_line() -> None:
    flat = sparkline([4.0, 4.0, 4.0], height=20)
    assert flat is not None
    assert {y for _, y in _points(flat.points)} == {10.0}
    above = sparkline([1.0, 2.0])
    assert above is not None
    assert above.zero is None


def test_fewer_than_two_values_draw_nothing() -> None:
    assert sparkline([]) is None
    assert sparkline([1.0]) is None
