"""Geometry for server-rendered SVG charts (no JavaScript, no chart library): clicks by day,
grouped bars with one series per currency or quantity on an axis of round numbers,
word-sized sparklines for a trend in a table row, and waterfalls (steps adding up to a total)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

__all__ = [
    "Bar",
    "BarChart",
    "ChartBar",
    "DayChart",
    "Scale",
    "Sparkline",
    "Step",
    "Tick",
    "Waterfall",
    "bar_chart",
    "compact",
    "day_chart",
    "nice_scale",
    "sparkline",
    "waterfall",
]

WIDTH, HEIGHT = 760, 230
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 8, 12, 30


@dataclass(frozen=True)
class Bar:
    """One day: the human part at the bottom, the non-human part stacked on it."""

    day: str
    x: float
    width: float
    human: int
    other: int
    human_y: float
    human_height: float
    other_y: float
    other_height: float


@dataclass(frozen=True)
class Tick:
    """An axis label at a position (x for days, y for counts)."""

    at: float
    label: str


@dataclass(frozen=True)
class DayChart:
    """Everything the template draws, already in SVG coordinates."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    days: int
    human: int
    other: int


def _nice_max(value: int) -> int:
    """A round top for the y axis whose half is a whole number too."""
    if value <= 4:
        return 4
    magnitude = int(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def day_chart(by_day: Sequence[dict[str, Any]], *, days: int, today: date) -> DayChart:
    """The last `days` days up to today, missing days as zero, from link_stats' by_day rows."""
    first = today - timedelta(days=days - 1)
    counts = {row["day"]: (int(row["clicks"]), int(row["total"])) for row in by_day}
    series = [first + timedelta(days=i) for i in range(days)]
    values = [counts.get(day.isoformat(), (0, 0)) for day in series]
    top = _nice_max(max((total for _human, total in values), default=0))
    plot_width = WIDTH - _LEFT - _RIGHT
    plot_height = HEIGHT - _TOP - _BOTTOM
    base = HEIGHT - _BOTTOM
    slot = plot_width / days
    bars: list[Bar] = []
    for index, (day, (human, total)) in enumerate(zip(series, values, strict=True)):
        other = max(total - human, 0)
        human_height = plot_height * human / top
        other_height = plot_height * other / top
        bars.append(
            Bar(
                day=day.isoformat(),
                x=round(_LEFT + index * slot + slot * 0.15, 2),
                width=round(slot * 0.7, 2),
                human=human,
                other=other,
                human_y=round(base - human_height, 2),
                human_height=round(human_height, 2),
                other_y=round(base - human_height - other_height, 2),
                other_height=round(other_height, 2),
            )
        )
    every = max(1, math.ceil(days / 8))
    x_ticks = [
        Tick(round(_LEFT + (i + 0.5) * slot, 2), day.strftime("%b %d"))
        for i, day in enumerate(series)
        if (days - 1 - i) % every == 0
    ]
    y_ticks = [
        Tick(round(base - plot_height * part / 2, 2), str(top * part // 2)) for part in (0, 1, 2)
    ]
    return DayChart(
        width=WIDTH,
        height=HEIGHT,
        left=_LEFT,
        right=WIDTH - _RIGHT,
        top=_TOP,
        bottom=base,
        bars=bars,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        days=days,
        human=sum(human for human, _total in values),
        other=sum(max(total - human, 0) for human, total in values),
    )


@dataclass(frozen=True)
class Scale:
    """An axis from `low` to `high` in equal round steps; zero is always one of its ticks."""

    low: float
    high: float
    step: float

    def ticks(self) -> list[float]:
        """Every tick value from low to high, rounded so that 0.1 + 0.2 reads 0.3."""
        count = round((self.high - self.low) / self.step)
        return [_clean(self.low + i * self.step) for i in range(count + 1)]


def _clean(value: float) -> float:
    """Drop float noise (0.30000000000000004) and negative zero from an axis value."""
    return round(value, 9) + 0.0


def nice_scale(low: float, high: float, *, most: int = 5) -> Scale:
    """Round axis bounds (steps of 1, 2 or 5 x 10^k, at most `most` of them) that hold zero and
    every value, so gridlines fall on numbers a reader can add up."""
    if not (math.isfinite(low) and math.isfinite(high)) or most < 1:
        raise ValueError("a scale needs finite bounds and at least one step")
    low, high = min(low, high, 0.0), max(low, high, 0.0)
    if low == high:
        high = 1.0
    raw = (high - low) / most
    magnitude = 10.0 ** math.floor(math.log10(raw))
    while True:  # the first round step that fits; the next magnitude when one does not
        for multiple in (1, 2, 5, 10):
            step = multiple * magnitude
            bottom = math.floor(_clean(low / step)) * step
            top = math.ceil(_clean(high / step)) * step
            if round((top - bottom) / step) <= most:
                return Scale(_clean(bottom), _clean(top), _clean(step))
        magnitude *= 10


def compact(value: float) -> str:
    """A short label for a bar or an axis: 950, 12.5, 0.05, 12.5k, 3.4M, 1.2B."""
    size = abs(value)
    for limit, unit, suffix in ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if size >= limit:
            return f"{value / unit:.3g}{suffix}"
    if size >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".") if size < 1 else f"{value:.2f}"


@dataclass(frozen=True)
class ChartBar:
    """One value of one series in one group, placed; `text` is its value as printed."""

    group: str
    series: int
    name: str
    value: float
    text: str
    x: float
    y: float
    width: float
    height: float
    text_y: float
    show_text: bool


@dataclass(frozen=True)
class BarChart:
    """Grouped bars with their axis, gridlines and legend, already in SVG coordinates."""

    title: str
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: float
    zero: float
    bars: list[ChartBar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    legend: list[str]


_BAR_LEFT, _BAR_TOP, _BAR_BOTTOM = 56, 18, 34
_BAR_MAX = 64  # px: one month of one currency stays a bar, not a wall
_CHAR_WIDTH = 6.5  # px of an 11px label character, to decide whether a value fits over its bar


def bar_chart(
    title: str,
    groups: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    text: Callable[[float], str] = compact,
    height: int = 260,
) -> BarChart:
    """One bar per series side by side in each group (None: no bar); the groups are the axis
    labels, so each must be unique (two bars never share a label unless they are two series)."""
    if len(set(groups)) != len(groups):
        raise ValueError("each group is one label on the axis: groups must be unique")
    if any(len(values) != len(groups) for _name, values in series):
        raise ValueError("each series needs one value (or None) per group")
    values = [float(v) for _name, vs in series for v in vs if v is not None]
    scale = nice_scale(min(values, default=0.0), max(values, default=0.0))
    plot_top, plot_bottom = _BAR_TOP, height - _BAR_BOTTOM
    right = WIDTH - _RIGHT

    def y_of(value: float) -> float:
        share = (value - scale.low) / (scale.high - scale.low)
        return round(plot_bottom - share * (plot_bottom - plot_top), 2)

    slot = (right - _BAR_LEFT) / max(len(groups), 1)
    width = min(slot * 0.8 / max(len(series), 1), _BAR_MAX)
    inset = (slot - width * len(series)) / 2  # the group's bars centred on its label
    zero = y_of(0.0)
    bars: list[ChartBar] = []
    for g, group in enumerate(groups):
        for s, (name, column) in enumerate(series):
            raw = column[g]
            if raw is None:
                continue
            value = float(raw)
            printed = text(value)
            top_y = y_of(max(value, 0.0))
            bars.append(
                ChartBar(
                    group=group,
                    series=s,
                    name=name,
                    value=value,
                    text=printed,
                    x=round(_BAR_LEFT + g * slot + inset + s * width, 2),
                    y=top_y,
                    width=round(width, 2),
                    height=round(y_of(min(value, 0.0)) - top_y, 2),
                    text_y=round(top_y - 4 if value >= 0 else y_of(value) + 12, 2),
                    show_text=len(printed) * _CHAR_WIDTH <= width + 4,
                )
            )
    every = max(1, math.ceil(len(groups) * 7 * _CHAR_WIDTH / (right - _BAR_LEFT)))
    x_ticks = [
        Tick(round(_BAR_LEFT + (g + 0.5) * slot, 2), group)
        for g, group in enumerate(groups)
        if g % every == 0
    ]
    y_ticks = [Tick(y_of(tick), compact(tick)) for tick in scale.ticks()]
    return BarChart(
        title=title,
        width=WIDTH,
        height=height,
        left=_BAR_LEFT,
        right=right,
        top=plot_top,
        bottom=plot_bottom,
        zero=zero,
        bars=bars,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        legend=[name for name, _values in series],
    )


@dataclass(frozen=True)
class Sparkline:
    """A word-sized line of a series (oldest first) in SVG coordinates, with its zero line."""

    width: int
    height: int
    points: str  # "x,y x,y …" for <polyline>
    zero: float | None  # y of the zero line, when zero lies between the lowest and highest value
    last_x: float
    last_y: float
    title: str


def sparkline(
    values: Sequence[float], *, title: str = "", width: int = 96, height: int = 24
) -> Sparkline | None:
    """A sparkline (Tufte's word-sized graphic) of `values`; None with fewer than two."""
    if len(values) < 2:
        return None
    numbers = [float(value) for value in values]
    low, high = min(numbers), max(numbers)
    span = (high - low) or 1.0
    pad = 2.0  # the end dot stays inside the box

    def y_of(value: float) -> float:
        return round(height - pad - (value - low) / span * (height - 2 * pad), 2)

    step = (width - 2 * pad) / (len(numbers) - 1)
    xs = [round(pad + i * step, 2) for i in range(len(numbers))]
    ys = [y_of(value) if high != low else height / 2 for value in numbers]
    return Sparkline(
        width=width,
        height=height,
        points=" ".join(f"{x},{y}" for x, y in zip(xs, ys, strict=True)),
        zero=y_of(0.0) if low < 0 < high else None,
        last_x=xs[-1],
        last_y=ys[-1],
        title=title,
    )


@dataclass(frozen=True)
class Step:
    """One bar of a waterfall: a step from the running total, or the total itself."""

    label: str
    value: float
    text: str
    x: float
    y: float
    width: float
    height: float
    total: bool
    rising: bool
    joins_at: float  # y of the running total after this bar, where the next one starts
    show_text: bool


@dataclass(frozen=True)
class Waterfall:
    """Steps that add up to a total, placed on a round axis, in SVG coordinates."""

    title: str
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: float
    zero: float
    steps: list[Step]
    x_ticks: list[Tick]
    y_ticks: list[Tick]


def waterfall(
    title: str,
    steps: Sequence[tuple[str, float]],
    total: str = "Total",
    *,
    text: Callable[[float], str] = compact,
    height: int = 260,
) -> Waterfall:
    """Each step floats from the running total to the new one; a last bar shows the total."""
    running, ends = 0.0, [0.0]
    for _label, value in steps:
        running += float(value)
        ends.append(running)
    scale = nice_scale(min(ends), max(ends))
    plot_top, plot_bottom = _BAR_TOP, height - _BAR_BOTTOM
    right = WIDTH - _RIGHT

    def y_of(value: float) -> float:
        share = (value - scale.low) / (scale.high - scale.low)
        return round(plot_bottom - share * (plot_bottom - plot_top), 2)

    count = len(steps) + 1
    slot = (right - _BAR_LEFT) / count
    width = min(slot * 0.7, _BAR_MAX)
    bars: list[Step] = []
    rows = [(label, float(value), ends[i], ends[i + 1], False) for i, (label, value) in
            enumerate(steps)] + [(total, running, 0.0, running, True)]  # fmt: skip
    for index, (label, value, before, after, is_total) in enumerate(rows):
        top_y, bottom_y = y_of(max(before, after)), y_of(min(before, after))
        bars.append(
            Step(
                label=label,
                value=value,
                text=text(value),
                x=round(_BAR_LEFT + index * slot + (slot - width) / 2, 2),
                y=top_y,
                width=round(width, 2),
                height=round(max(bottom_y - top_y, 1.0), 2),
                total=is_total,
                rising=value >= 0,
                joins_at=y_of(after),
                show_text=len(text(value)) * _CHAR_WIDTH <= slot,
            )
        )
    every = max(1, math.ceil(count * 7 * _CHAR_WIDTH / (right - _BAR_LEFT)))
    x_ticks = [
        Tick(round(_BAR_LEFT + (i + 0.5) * slot, 2), bar.label)
        for i, bar in enumerate(bars)
        if i % every == 0 or bar.total
    ]
    return Waterfall(
        title=title,
        width=WIDTH,
        height=height,
        left=_BAR_LEFT,
        right=right,
        top=plot_top,
        bottom=plot_bottom,
        zero=y_of(0.0),
        steps=bars,
        x_ticks=x_ticks,
        y_ticks=[Tick(y_of(tick), compact(tick)) for tick in scale.ticks()],
    )
