"""Rollups are exactly what the clicks say: the counting against its earlier form, and what the
ingester stores against a recomputation from the stored clicks (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from itertools import repeat
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from evergreen.db import Database
from evergreen.links import service
from evergreen.links.clicks.ingest import ClickPolicy, ingest_pending
from evergreen.links.clicks.rollups import SUB_DIMENSIONS, ClickColumns, Counts, tally
from evergreen.links.clicks.spool import ClickSpool, SpoolReader
from evergreen.links.clicks.stats import rebuild_rollups
from evergreen.links.drafts import LinkDraft
from evergreen.links.models import ClickRollup

_BLANK = {"country": "unknown", "referrer": "direct", "device": "unknown", "os": "unknown",
          "browser": "unknown"}  # fmt: skip


def _oracle(clicks: ClickColumns, counts: Counts | None = None) -> Counts:
    """The counting as it was before it was made columnar by (link, day) numbers: the oracle."""
    out: Counts = counts if counts is not None else defaultdict(lambda: [0, 0, 0])
    if not clicks.link_id:
        return out
    kinds = [
        (2 if unique else 1) if klass == "human" else 0
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
    for name in SUB_DIMENSIONS:
        if any(name in sub for sub in clicks.sub):
            fold(name, [_sub(sub.get(name)) for sub in clicks.sub])
    return out


def _sub(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)[:255]


_sub_values = st.one_of(
    st.none(), st.just(""), st.sampled_from(["a", "b", "x" * 300]), st.integers(-3, 3)
)
_click = st.tuples(
    st.integers(-2, 40),  # link ids, a negative one included: the numbering must not care
    st.sampled_from([date(2026, 12, 31), date(2027, 1, 1), date(2027, 3, 5)]),
    st.sampled_from(["human", "bot", "preview", "flood", "head"]),
    st.booleans(),
    st.sampled_from(["", "US", "DE"]),
    st.sampled_from(["", "blog.example", "news.example"]),
    st.sampled_from(["", "mobile", "desktop"]),
    st.sampled_from(["", "iOS", "Windows"]),
    st.sampled_from(["", "Safari", "Chrome"]),
    st.dictionaries(st.sampled_from([*SUB_DIMENSIONS, "other"]), _sub_values, max_size=4),
)


def _columns(clicks: list[tuple[Any, ...]]) -> ClickColumns:
    if not clicks:
        return ClickColumns([], [], [], [], [], [], [], [], [], [])
    return ClickColumns(*(list(column) for column in zip(*clicks, strict=True)))


@settings(max_examples=300, deadline=None)
@given(st.lists(_click, max_size=60), st.lists(_click, max_size=30))
def test_tally_counts_exactly_as_the_per_dimension_oracle(
    first: list[tuple[Any, ...]], second: list[tuple[Any, ...]]
) -> None:
    counts = tally(_columns(first))
    expected = _oracle(_columns(first))
    assert counts == expected
    # Adding to counts already there (the rebuild counts a link in parts).
    assert tally(_columns(second), counts) == _oracle(_columns(second), expected)


AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "",
]


def _records(link_ids: list[int], count: int) -> list[dict[str, Any]]:
    """A random mix: days across midnight, repeat and flooding visitors, bots, previews, HEADs,
    prefetches, internal clicks, blank and long fields, sub-IDs present, empty or absent."""
    rng = random.Random(20261231)
    start = datetime(2026, 12, 31, 23, 50, tzinfo=UTC).timestamp()
    records = []
    for i in range(count):
        sub = {name: rng.choice(["", "x" * 300, f"v{rng.randrange(3)}"])
               for name in rng.sample(SUB_DIMENSIONS, rng.randrange(3))}  # fmt: skip
        records.append({
            "id": f"{i + 1:032x}", "l": rng.choice(link_ids), "t": start + i * 0.7,
            "m": rng.choice(["GET"] * 8 + ["HEAD"]), "v": f"v{rng.randrange(40)}",
            "ua": rng.choice(AGENTS), "r": rng.choice(["", "https://www.blog.example/a", "x"]),
            "c": rng.choice(["", "US", "DE"]), "p": rng.choice([""] * 9 + ["prefetch"]),
            "i": rng.random() < 0.05, "q": sub, "d": "https://shop.example/",
        })  # fmt: skip
    return records


def _rollups(db: Database) -> dict[tuple[Any, ...], tuple[int, int, int]]:
    with db.session() as session:
        query = select(
            ClickRollup.link_id, ClickRollup.day, ClickRollup.dimension, ClickRollup.value,
            ClickRollup.total, ClickRollup.human, ClickRollup.unique,
        )  # fmt: skip
        rows = session.execute(query)
        return {tuple(row[:4]): (row[4], row[5], row[6]) for row in rows}


def test_ingested_rollups_equal_a_recomputation_from_the_stored_clicks(
    db: Database, tmp_path: Path
) -> None:
    with db.session() as session:
        link_ids = [
            service.create_link(
                session, LinkDraft(destination="https://shop.example/", slug=f"mix{i}")
            ).link.id
            for i in range(4)
        ]
    records = _records(link_ids, 1500)
    policy = ClickPolicy()
    memory = policy.memory()
    # Passes of uneven sizes, as the follower makes them; the last pass is small.
    for number, (begin, end) in enumerate([(0, 700), (700, 1450), (1450, 1500)]):
        spool = ClickSpool(tmp_path / f"spool{number}")
        for record in records[begin:end]:
            spool.append(record)
        spool.close()
        reader = SpoolReader(tmp_path / f"spool{number}")
        assert ingest_pending(db, reader, policy, batch=400, memory=memory) == end - begin
    stored = _rollups(db)
    assert sum(total for (_, _, dimension, _), (total, _, _) in stored.items()
               if dimension == "all") == 1500  # fmt: skip
    assert {key[1] for key in stored} == {date(2026, 12, 31), date(2027, 1, 1)}
    with db.session() as session:
        for link_id in link_ids:
            rebuild_rollups(session, link_id)
    assert _rollups(db) == stored
