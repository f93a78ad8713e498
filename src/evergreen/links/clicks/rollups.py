"""Rollups: clicks counted per link, day and dimension value, so stats never scan the clicks table.

Counting is columnar — one `Counter` over each dimension's column instead of a dictionary update
per click and dimension — because the ingester and the reclassification rebuild both count
hundreds of thousands of clicks at a time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from operator import itemgetter
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
    # One int per click stands for its (link, day) and kind (0: not human, 1: human repeat,
    # 2: human unique): counting (int, value) pairs is much cheaper than 4-tuples.
    days = list(dict.fromkeys(clicks.day))
    spread = len(days)
    day_number = {day: number for number, day in enumerate(days)}
    codes = [
        (link_id * spread + day_number[day]) * 3 + ((2 if unique else 1) if klass == _HUMAN else 0)
        for link_id, day, klass, unique in zip(
            clicks.link_id, clicks.day, clicks.klass, clicks.unique, strict=True
        )
    ]

    def fold(dimension: str, keyed: Iterable[tuple[tuple[int, str | None], int]]) -> None:
        for (code, value), n in keyed:
            if value is None:
                continue
            group, kind = divmod(code, 3)
            link_id, day = divmod(group, spread)
            bucket = out[(link_id, days[day], dimension, value)]
            bucket[0] += n
            if kind:
                bucket[1] += n
                if kind == 2:
                    bucket[2] += n

    def count(values: Iterable[str | None]) -> Iterable[tuple[tuple[int, str | None], int]]:
        return Counter(zip(codes, values, strict=True)).items()

    # Class, device, OS and browser follow the user agent: one Counter of them with the code
    # has a few entries per link and agent, and feeds five dimensions (each a pass over every
    # click before).
    merged: dict[str, Counter[tuple[int, str]]] = {
        name: Counter() for name in ("all", "class", "device", "os", "browser")
    }
    agents = Counter(
        zip(codes, clicks.klass, clicks.device, clicks.os, clicks.browser, strict=True)
    )
    for (code, klass, device, os_family, browser), n in agents.items():
        merged["all"][(code, "")] += n
        merged["class"][(code, klass)] += n
        merged["device"][(code, device or _BLANK["device"])] += n
        merged["os"][(code, os_family or _BLANK["os"])] += n
        merged["browser"][(code, browser or _BLANK["browser"])] += n
    for dimension, keyed in merged.items():
        fold(dimension, keyed.items())
    fold("referrer", count([v or "direct" for v in clicks.referrer_host]))
    fold("country", count([v or _BLANK["country"] for v in clicks.country]))
    present = set().union(*clicks.sub)
    for name in SUB_DIMENSIONS:
        if name in present:
            values = [sub.get(name) for sub in clicks.sub]
            fold(name, count([None if v is None or v == "" else str(v)[:255] for v in values]))
    return out


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
    # Rows in key order put each link's rows together, as the (link, dimension, day, value)
    # index wants them, and give concurrent ingesters one order of locks on PostgreSQL.
    shown = {day: day.isoformat() if sqlite else day for day in set(map(itemgetter(1), counts))}
    rows = [
        (link_id, shown[day], dimension, value, total, human, unique)
        for (link_id, day, dimension, value), (total, human, unique) in counts.items()
    ]
    rows.sort()  # keys are distinct: the sort never compares the counts
    for start in range(0, len(rows), 20_000):
        connection.exec_driver_sql(sql, rows[start : start + 20_000])
