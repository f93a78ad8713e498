"""Clicks by day as bar geometry for a server-rendered SVG: no JavaScript, no chart library."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

__all__ = ["Bar", "DayChart", "Tick", "day_chart"]

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
