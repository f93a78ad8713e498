"""Rollup counting and the ingester's visitor memory as pure rules (no database)."""

from __future__ import annotations

from datetime import date

from evergreen.links.clicks.rollups import ClickColumns, tally
from evergreen.links.clicks.visitors import VisitorMemory

DAY = date(2026, 11, 24)


def _columns(*clicks: tuple[int, str, bool, str, str, dict[str, str]]) -> ClickColumns:
    """(link, class, unique, country, referrer host, sub) per click; the rest fixed."""
    return ClickColumns(
        link_id=[c[0] for c in clicks], day=[DAY] * len(clicks), klass=[c[1] for c in clicks],
        unique=[c[2] for c in clicks], country=[c[3] for c in clicks],
        referrer_host=[c[4] for c in clicks], device=["mobile"] * len(clicks),
        os=[""] * len(clicks), browser=["Safari"] * len(clicks), sub=[c[5] for c in clicks],
    )  # fmt: skip


def test_tally_counts_totals_humans_and_unique_humans_per_dimension() -> None:
    counts = tally(
        _columns(
            (1, "human", True, "US", "blog.example", {"sub1": "header"}),
            (1, "human", False, "US", "", {"sub1": "header", "utm_source": ""}),
            (1, "bot", True, "", "", {}),
            (2, "human", True, "DE", "", {}),
        )
    )
    assert counts[(1, DAY, "all", "")] == [3, 2, 1]
    assert counts[(1, DAY, "class", "human")] == [2, 2, 1]
    assert counts[(1, DAY, "class", "bot")] == [1, 0, 0]
    assert counts[(1, DAY, "country", "US")] == [2, 2, 1]
    assert counts[(1, DAY, "country", "unknown")] == [1, 0, 0]
    assert counts[(1, DAY, "referrer", "direct")] == [2, 1, 0]
    assert counts[(1, DAY, "os", "unknown")] == [3, 2, 1]
    assert counts[(1, DAY, "sub1", "header")] == [2, 2, 1]
    assert counts[(2, DAY, "all", "")] == [1, 1, 1]
    # Empty sub-IDs and dimensions nobody used get no rows.
    assert not [key for key in counts if key[2] in ("utm_source", "sub2")]


def test_tally_adds_to_existing_counts_and_truncates_long_values() -> None:
    counts = tally(_columns((1, "human", True, "US", "", {"sub2": "x" * 300})))
    tally(_columns((1, "flood", False, "US", "", {})), counts)
    assert counts[(1, DAY, "all", "")] == [2, 1, 1]
    assert counts[(1, DAY, "sub2", "x" * 255)] == [1, 1, 1]
    assert tally(_columns()) == {}


def test_memory_tells_unique_visits_by_the_window() -> None:
    s = 1_000_000  # the memory counts in microseconds, as clicks are stored
    memory = VisitorMemory(unique_window=3600 * s, flood_per_minute=30)
    assert memory.see((1, "alice"), 1000 * s) == (True, False)
    assert memory.see((1, "alice"), 1010 * s) == (False, False)
    assert memory.see((2, "alice"), 1020 * s) == (True, False)  # another link
    assert memory.see((1, "alice"), (1010 + 3600) * s) == (True, False)


def test_memory_flags_a_flood_beyond_the_rate_and_keeps_flagging_it() -> None:
    s = 1_000_000
    memory = VisitorMemory(unique_window=3600 * s, flood_per_minute=30)
    floods = [memory.see((1, "flooder"), (5000 + i) * s)[1] for i in range(100)]
    # 30 clicks a minute are allowed; from the 31st within 60 s on, every click is a flood.
    assert floods[:30] == [False] * 30
    assert all(floods[30:60])
    # Spaced out again (one every 3 s) the rate falls back under the limit.
    later = [memory.see((1, "flooder"), (6000 + 3 * i) * s)[1] for i in range(40)]
    assert later[-1] is False
