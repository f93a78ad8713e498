"""Unique and flood decided the same whatever the number of ingesters (issue 16, item 1).

The same click stream split across 1, 2 and 3 ingesters (each its own spool folder, one
database), in any interleaving of their passes, stores the verdicts of the pure rule applied to
the whole stream: so unique, human, flood and total counts, clicks and rollups, are identical.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.links import service
from evergreen.links.clicks.ingest import ClickPolicy, ingest_pending
from evergreen.links.clicks.shared import (
    HEARTBEAT_TTL,
    heartbeat,
    ingester_name,
    others_writing,
)
from evergreen.links.clicks.spool import ClickSpool, SpoolReader
from evergreen.links.clicks.stats import link_stats, rebuild_rollups
from evergreen.links.clicks.visitors import VisitorMemory
from evergreen.links.drafts import LinkDraft
from evergreen.links.models import Click, ClickIngester, ClickRollup
from evergreen.links.rules import classify, refloods, visits

POLICY = ClickPolicy(unique_window=timedelta(minutes=2), flood_per_minute=3)
BASE = datetime(2026, 12, 6, 23, 58, tzinfo=UTC).timestamp()  # streams cross midnight
HUMAN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
MINUTE = 60_000_000
_runs = iter(range(1, 10**9))


# --- the rule alone ---------------------------------------------------------------------------


def test_a_visitors_first_click_in_the_window_is_unique_and_the_fourth_in_a_minute_floods() -> None:
    s = 1_000_000
    times = [0, 10 * s, 20 * s, 30 * s, 130 * s, 250 * s, 250 * s]
    assert visits(times, 120 * s, 3) == [
        (True, False),
        (False, False),
        (False, False),
        (False, True),  # the 4th within a minute
        (False, False),  # 100 s after the previous click: within the window
        (True, False),  # exactly the window after the previous one: a new visit
        (False, False),  # the same microsecond: the later click ID repeats
    ]


def test_only_human_and_flood_clicks_change_with_the_flood_verdict() -> None:
    assert refloods("human", True) == ("flood", classify(
        method="GET", user_agent=HUMAN, purpose="", internal=False, crawler=False, flood=True
    )[1])  # fmt: skip
    assert refloods("flood", False) == ("human", "counted")
    assert refloods("human", False) is None
    assert refloods("bot", True) is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 400), max_size=40), st.integers(1, 5))
def test_the_ingesters_memory_decides_in_order_as_the_rule(
    offsets: list[int], per_minute: int
) -> None:
    """The single-ingester fast path is the rule, fed one click at a time."""
    times = sorted(offset * 500_000 for offset in offsets)  # half seconds: ties and boundaries
    memory = VisitorMemory(120_000_000, per_minute)
    memory.complete_from[1] = 0
    seen = [memory.see((1, "v"), at) for at in times]
    assert seen == visits(times, 120_000_000, per_minute)


# --- the stream split across ingesters --------------------------------------------------------

_click = st.tuples(
    st.integers(0, 1),  # link
    st.integers(0, 1),  # visitor
    st.integers(0, 480).map(lambda half: half / 2),  # seconds after BASE: 4 minutes
    st.sampled_from([HUMAN, HUMAN, HUMAN, BOT]),
    st.integers(0, 2),  # the ingester it goes to, when there are three
)


@st.composite
def _scenario(draw: st.DrawFn) -> tuple[list[tuple[Any, ...]], list[tuple[int, int]]]:
    clicks = draw(st.lists(_click, min_size=1, max_size=24))
    # Passes: (ingester, how many of its next clicks it spools before ingesting).
    passes = draw(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 6)), max_size=10))
    return clicks, passes


def _expected(clicks: list[tuple[Any, ...]]) -> dict[str, tuple[str, bool]]:
    """Each click's (class, unique) by the rule over the whole stream, in (time, ID) order."""
    keyed: dict[tuple[int, int], list[tuple[int, str, str]]] = {}
    for number, (link, visitor, seconds, agent, _) in enumerate(clicks):
        at = round((BASE + seconds) * 1_000_000)
        keyed.setdefault((link, visitor), []).append((at, _click_id(0, number), agent))
    out: dict[str, tuple[str, bool]] = {}
    for stream in keyed.values():
        stream.sort()
        verdicts = visits([at for at, _, _ in stream], POLICY.window_us, POLICY.flood_per_minute)
        for (_, click_id, agent), (unique, flood) in zip(stream, verdicts, strict=True):
            klass, _ = classify(
                method="GET", user_agent=agent, purpose="", internal=False,
                crawler=agent == BOT, flood=flood,
            )  # fmt: skip
            out[click_id] = (klass.value, unique)
    return out


def _click_id(run: int, number: int) -> str:
    return f"{run:08x}{number:024x}"


def _run(
    db: Database,
    folder: Path,
    clicks: list[tuple[Any, ...]],
    passes: list[tuple[int, int]],
    ingesters: int,
) -> tuple[dict[str, tuple[str, bool]], dict[tuple[Any, ...], tuple[int, int, int]], list[int]]:
    """Feed the stream through `ingesters` ingesters; the stored verdicts (by click number, as
    ID of run 0) and rollups (by link number)."""
    run = next(_runs)
    with db.session() as session:
        session.execute(delete(ClickIngester))  # the ingesters of earlier runs are gone
        links = [
            service.create_link(
                session, LinkDraft(destination="https://shop.example/", slug=f"c{run}x{i}")
            ).link.id
            for i in range(2)
        ]
    queues: list[list[dict[str, Any]]] = [[] for _ in range(ingesters)]
    for number, (link, visitor, seconds, agent, which) in enumerate(clicks):
        queues[which % ingesters].append({
            "id": _click_id(run, number), "l": links[link], "t": BASE + seconds,
            "v": f"visitor{visitor}", "ua": agent, "m": "GET",
        })  # fmt: skip
    spools = [ClickSpool(folder / f"run{run}-{i}") for i in range(ingesters)]
    readers = [SpoolReader(folder / f"run{run}-{i}") for i in range(ingesters)]
    memories = [POLICY.memory() for _ in range(ingesters)]  # long-running, as the follower's
    try:
        for which, count in [*passes, *((i, 10**6) for i in range(ingesters))]:
            i = which % ingesters
            for record in queues[i][:count]:
                spools[i].append(record)
            del queues[i][:count]
            ingest_pending(db, readers[i], POLICY, memory=memories[i])
    finally:
        for spool in spools:
            spool.close()
    number_of = {links[0]: 0, links[1]: 1}
    with db.session() as session:
        stored = {
            f"{0:08x}{click_id[8:]}": (klass, unique)
            for click_id, klass, unique in session.execute(
                select(Click.click_id, Click.klass, Click.is_unique).where(Click.link_id.in_(links))
            )
        }
    return stored, _rollups(db, links, number_of), links


def _rollups(
    db: Database, links: list[int], number_of: dict[int, int]
) -> dict[tuple[Any, ...], tuple[int, int, int]]:
    with db.session() as session:
        rows = session.execute(
            select(
                ClickRollup.link_id, ClickRollup.day, ClickRollup.dimension, ClickRollup.value,
                ClickRollup.total, ClickRollup.human, ClickRollup.unique,
            ).where(ClickRollup.link_id.in_(links))
        )  # fmt: skip
        return {
            (number_of[row[0]], *row[1:4]): (row[4], row[5], row[6])
            for row in rows
            if any(row[4:])  # a row moved to zero by a correction counts nothing
        }


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=_scenario())
def test_one_two_or_three_ingesters_in_any_interleaving_count_the_same(
    db: Database, tmp_path: Path, scenario: tuple[list[tuple[Any, ...]], list[tuple[int, int]]]
) -> None:
    clicks, passes = scenario
    expected = _expected(clicks)
    rollups = []
    for ingesters in (1, 2, 3):
        stored, counted, links = _run(db, tmp_path, clicks, passes, ingesters)
        assert stored == expected, f"{ingesters} ingester(s)"
        rollups.append(counted)
        # Rebuilding the rollups from the stored clicks gives the figures live ingestion gave.
        with db.session() as session:
            for link_id in links:
                rebuild_rollups(session, link_id)
        assert _rollups(db, links, {links[0]: 0, links[1]: 1}) == counted
    assert rollups[0] == rollups[1] == rollups[2]
    totals = Counter(klass for klass, _ in expected.values())
    assert sum(total for (_, _, dim, _), (total, _, _) in rollups[0].items() if dim == "all") == (
        len(clicks)
    )
    assert sum(n for (_, _, dim, value), (n, _, _) in rollups[0].items()
               if (dim, value) == ("class", "flood")) == totals["flood"]  # fmt: skip


def test_two_servers_one_visitor_count_one_unique_and_thirty_humans(
    db: Database, tmp_path: Path
) -> None:
    """The issue's figures: one visitor clicking through two servers within the hour and 60
    times in a minute is 1 unique and 30 humans, the rest flood, as with one server."""
    policy = ClickPolicy()  # the defaults: an hour, 30 a minute
    with db.session() as session:
        session.execute(delete(ClickIngester))
        link_id = service.create_link(
            session, LinkDraft(destination="https://shop.example/", slug="twoservers")
        ).link.id
    start = datetime.now(UTC).timestamp() - 120
    readers, spools, memories = [], [], []
    for server in range(2):
        spools.append(ClickSpool(tmp_path / f"server{server}"))
        readers.append(SpoolReader(tmp_path / f"server{server}"))
        memories.append(policy.memory())
    for i in range(60):  # alternate servers, each ingesting after every click it took
        server = i % 2
        spools[server].append({
            "id": f"{i:032x}", "l": link_id, "t": start + i * 0.5, "v": "alice", "ua": HUMAN,
        })  # fmt: skip
        ingest_pending(db, readers[server], policy, memory=memories[server])
    for spool in spools:
        spool.close()
    with db.session() as session:
        classes = Counter(session.scalars(select(Click.klass).where(Click.link_id == link_id)))
        uniques = list(
            session.scalars(select(Click.click_id).where(Click.link_id == link_id, Click.is_unique))
        )
        stats = link_stats(session, link_id)
    assert uniques == [f"{0:032x}"]
    assert classes == {"human": 30, "flood": 30}
    assert (stats.total_clicks, stats.clicks, stats.unique_clicks) == (60, 30, 1)


def test_concurrent_ingesters_decide_each_visitor_once(db: Database, tmp_path: Path) -> None:
    """Two ingesters in threads, each with a backlog for the same visitors and links, passing
    at once: serialized per link, their clicks are decided as the rule decides the union."""
    with db.session() as session:
        session.execute(delete(ClickIngester))
        link_ids = [
            service.create_link(
                session, LinkDraft(destination="https://shop.example/", slug=f"race{i}")
            ).link.id
            for i in range(3)
        ]
    start = datetime.now(UTC).timestamp() - 600
    records: list[list[dict[str, Any]]] = [[], []]
    expected_times: dict[tuple[int, str], list[tuple[int, str]]] = {}
    for i in range(400):
        record = {
            "id": f"{i:032x}", "l": link_ids[i % 3], "t": start + (i * 7919 % 400) * 0.25,
            "v": f"v{i % 5}", "ua": HUMAN,
        }  # fmt: skip
        records[(i * 31) % 7 % 2].append(record)
        key = (record["l"], record["v"])
        expected_times.setdefault(key, []).append((round(record["t"] * 1e6), record["id"]))
    for server in range(2):
        spool = ClickSpool(tmp_path / f"s{server}")
        for record in records[server]:
            spool.append(record)
        spool.close()
    # Two passes each, small batches, so their transactions overlap.
    errors: list[BaseException] = []

    def ingest(server: int) -> None:
        try:
            ingest_pending(db, SpoolReader(tmp_path / f"s{server}"), POLICY, batch=40)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=ingest, args=(server,)) for server in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected: dict[str, tuple[str, bool]] = {}
    for stream in expected_times.values():
        stream.sort()
        verdicts = visits([at for at, _ in stream], POLICY.window_us, POLICY.flood_per_minute)
        for (_, click_id), (unique, flood) in zip(stream, verdicts, strict=True):
            expected[click_id] = ("flood" if flood else "human", unique)
    with db.session() as session:
        stored = {
            click_id: (klass, unique)
            for click_id, klass, unique in session.execute(
                select(Click.click_id, Click.klass, Click.is_unique)
            )
        }
    assert stored == expected
    live = _rollups(db, link_ids, {link_id: n for n, link_id in enumerate(link_ids)})
    assert live == _rebuilt(db, link_ids)


def _rebuilt(db: Database, link_ids: list[int]) -> dict[tuple[Any, ...], tuple[int, int, int]]:
    with db.session() as session:
        for link_id in link_ids:
            rebuild_rollups(session, link_id)
    return _rollups(db, link_ids, {link_id: n for n, link_id in enumerate(link_ids)})


def test_a_late_click_on_a_lone_ingester_is_decided_from_the_stored_clicks(
    db: Database, tmp_path: Path
) -> None:
    """Alone, an ingester still decides a click older than what it stored (a slow worker's
    segment, a server back after a pause) from the database, correcting the later click."""
    with db.session() as session:
        session.execute(delete(ClickIngester))
        link_id = service.create_link(
            session, LinkDraft(destination="https://shop.example/", slug="late")
        ).link.id
    memory = POLICY.memory()
    start = datetime.now(UTC).timestamp() - 300
    for number, at in ((2, start + 30), (1, start)):
        spool = ClickSpool(tmp_path / "spool")
        spool.append({"id": f"{number:032x}", "l": link_id, "t": at, "v": "bob", "ua": HUMAN})
        spool.close()
        assert ingest_pending(db, SpoolReader(tmp_path / "spool"), POLICY, memory=memory) == 1
    with db.session() as session:
        rows = session.execute(select(Click.click_id, Click.is_unique).order_by(Click.at)).all()
    assert [unique for _, unique in rows] == [True, False]
    links = [link_id]
    assert _rollups(db, links, {link_id: 0}) == _rebuilt(db, links)


def test_an_ingester_counts_as_writing_until_its_heartbeat_is_a_minute_old(
    db: Database, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    name = ingester_name(tmp_path)
    assert ingester_name(tmp_path) == name  # kept in the spool folder: the same after restarts
    assert ingester_name(tmp_path / "other") != name
    with db.session() as session:
        session.execute(delete(ClickIngester))
        session.add(ClickIngester(name="gone", seen_at=now - HEARTBEAT_TTL - timedelta(seconds=1)))
        assert heartbeat(session, name, now, None) == now
        assert not others_writing(session, name, now)  # itself and one that left
        session.add(ClickIngester(name="peer", seen_at=now - HEARTBEAT_TTL / 2))
        session.flush()
        assert others_writing(session, name, now)
        assert others_writing(session, "peer", now)


def test_the_setting_chooses_who_decides(settings: Settings) -> None:
    assert ClickPolicy.of(settings).ingesters == "auto"
    shared = settings.model_copy(update={"click_ingesters": "shared"})
    assert ClickPolicy.of(shared).ingesters == "shared"
