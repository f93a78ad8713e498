"""Rollups: clicks counted per link, day and dimension value, so stats never scan the clicks table.

Counting is columnar — one `Counter` over each dimension's column instead of a dictionary update
per click and dimension — because the ingester and the reclassification rebuild both count
hundreds of thousands of clicks at a time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from itertools import repeat
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from evergreen.links.rules import SUB_PARAMS, ClickClass

__all__ = ["ROLLUP_DIMENSIONS", "ClickColumns", "Counts", "add_rollups", "tally"]

SUB_DIMENSIONS = (*SUB_PARAMS, "utm_source", "utm_medium", "utm_campaign")
ROLLUP_DIMENSIONS = ("all", "class", "country", "referrer", "device", "os", "browser",
                     *SUB_DIMENSIONS)  # fmt: skip
Counts = dict[tuple[int, date, str, str], list[int]]
"""(link id, day, dimension, value) → [total, human, unique human]."""

_HUMAN = ClickClass.HUMAN.value
_BLANK = {"country": "unknown", "referrer": "direct", "device": "unknown", "os": "unknown",
          "browser": "unknown"}  # fmt: skip


class ClickColumns(NamedTuple):
    """The facts rollups need, one sequence per field, all of the same length."""

    link_id: Sequence[int]
    day: Sequence[date]
    klass: Sequence[str]
    unique: Sequence[bool]
    country: Sequence[str]
    referrer_host: Sequence[str]
    device: Sequence[str]
    os: Sequence[str]
    browser: Sequence[str]
    sub: Sequence[dict[str, Any]]


def tally(clicks: ClickColumns, counts: Counts | None = None) -> Counts:
    """Add clicks to rollup counts: every click under `all`, its class and each known dimension;
    blank values under a name ("direct", "unknown"); sub-IDs and UTM values only when present."""
    out: Counts = counts if counts is not None else defaultdict(lambda: [0, 0, 0])
    if not clicks.link_id:
        return out
    # 0: not human, 1: human repeat, 2: human unique — one small int per click to count by.
    kinds = [
        (2 if unique else 1) if klass == _HUMAN else 0
        for klass, unique in zip(clicks.klass, clicks.unique, strict=True)
    ]

    def fold(dimension: str, values: Iterable[str | None]) -> None:
        keyed = Counter(zip(clicks.link_id, clicks.day, values, kinds, strict=False))
        for (link_id, day, value, kind), n in keyed.items():
            if value is None:
                continue
            bucket = out[(link_id, day, dimension, value)]
            bucket[0] += n
            if kind:
                bucket[1] += n
                if kind == 2:
                    bucket[2] += n

    fold("all", repeat("", len(kinds)))
    fold("class", clicks.klass)
    fold("referrer", [v or "direct" for v in clicks.referrer_host])
    for dimension, column in (
        ("country", clicks.country), ("device", clicks.device), ("os", clicks.os),
        ("browser", clicks.browser),
    ):  # fmt: skip
        fold(dimension, [v or _BLANK[dimension] for v in column])
    present = [name for name in SUB_DIMENSIONS if any(name in sub for sub in clicks.sub)]
    for name in present:
        fold(name, [_sub_value(sub.get(name)) for sub in clicks.sub])
    return out


def _sub_value(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)[:255]


def add_rollups(session: Session, counts: Counts) -> None:
    """Increment rollup rows, creating them as needed: one upsert statement, run by the driver
    with executemany (the same SQL on SQLite and PostgreSQL)."""
    if not counts:
        return
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    marks = ", ".join(["?" if sqlite else "%s"] * 7)
    sql = (
        'INSERT INTO click_rollups (link_id, day, dimension, value, total, human, "unique") '
        "VALUES (" + marks + ") "
        "ON CONFLICT (link_id, dimension, day, value) DO UPDATE SET "
        "total = click_rollups.total + excluded.total, "
        "human = click_rollups.human + excluded.human, "
        '"unique" = click_rollups."unique" + excluded."unique"'
    )
    # Sorted keys put each link's rows together, as the (link, dimension, day, value) index
    # wants them: the index is then written page by page rather than at random.
    day_values: dict[date, Any] = {}
    rows = []
    for key in sorted(counts):
        link_id, day, dimension, value = key
        shown = day_values.get(day)
        if shown is None:
            shown = day_values[day] = day.isoformat() if sqlite else day
        total, human, unique = counts[key]
        rows.append((link_id, shown, dimension, value, total, human, unique))
    for start in range(0, len(rows), 20_000):
        connection.exec_driver_sql(sql, rows[start : start + 20_000])
