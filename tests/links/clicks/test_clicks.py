"""Spool → database ingestion, rollups, stats and reclassification, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from evergreen.db import Database
from evergreen.links import service
from evergreen.links.clicks.ingest import ClickPolicy, ingest_pending
from evergreen.links.clicks.spool import ClickSpool, SpoolReader
from evergreen.links.clicks.stats import link_stats, mark_agent_human
from evergreen.links.drafts import LinkDraft
from evergreen.links.models import Click

CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
POLICY = ClickPolicy()
_counter = 0


def click(link_id: int, **fields: Any) -> dict[str, Any]:
    """A spool record shaped like the redirect's."""
    global _counter
    _counter += 1
    record = {
        "id": f"{_counter:032x}",
        "l": link_id,
        "t": time.time(),
        "m": "GET",
        "v": "visitor-a",
        "ua": CHROME,
        "r": "",
        "c": "US",
        "p": "",
        "i": False,
        "q": {},
        "d": "https://shop.example/",
    }
    record.update(fields)
    return record


def _link(db: Database, slug: str = "deal", channel: str = "blog") -> int:
    with db.session() as session:
        draft = LinkDraft(destination="https://shop.example/", slug=slug, channel=channel)
        return service.create_link(session, draft).link.id


def _ingest(db: Database, folder: Path, records: list[dict[str, Any]]) -> int:
    spool = ClickSpool(folder)
    for record in records:
        spool.append(record)
    spool.close()
    return ingest_pending(db, SpoolReader(folder), POLICY)


def test_clicks_are_classified_counted_and_rolled_up(db: Database, tmp_path: Path) -> None:
    link_id = _link(db)
    t0 = time.time()
    records = [
        click(link_id, t=t0, v="alice", r="https://www.blog.example/post", q={"sub1": "header"}),
        click(link_id, t=t0 + 10, v="alice"),  # repeat within the hour: not unique
        click(link_id, t=t0 + 20, v="bob", ua=IPHONE, c="DE", q={"utm_source": "newsletter"}),
        click(link_id, t=t0 + 30, v="bot", ua="Googlebot/2.1 (+http://www.google.com/bot.html)"),
        click(link_id, t=t0 + 40, v="slack", ua="Slackbot-LinkExpanding 1.0"),
        click(link_id, t=t0 + 50, v="head", m="HEAD"),
        click(link_id, t=t0 + 60, v="pre", p="prefetch"),
        click(link_id, t=t0 + 70, v="me", i=True),
    ]
    assert _ingest(db, tmp_path / "spool", records) == 8
    with db.session() as session:
        stats = link_stats(session, link_id)
        classes = dict(session.execute(select(Click.visitor, Click.klass)).all())
    assert (stats.total_clicks, stats.clicks, stats.unique_clicks, stats.non_human_clicks) == (
        8, 3, 2, 5
    )  # fmt: skip
    assert stats.non_human_by_class == {
        "bot": 1, "preview": 1, "head": 1, "prefetch": 1, "internal": 1
    }  # fmt: skip
    assert classes["slack"] == "preview"
    breakdowns = {
        k: {i["value"]: i["clicks"] for i in v if i["clicks"]} for k, v in stats.breakdowns.items()
    }
    assert breakdowns["country"] == {"US": 2, "DE": 1}
    assert breakdowns["referrer"] == {"blog.example": 1, "direct": 2}
    assert breakdowns["device"] == {"desktop": 2, "mobile": 1}
    assert breakdowns["sub1"] == {"header": 1}
    assert breakdowns["utm_source"] == {"newsletter": 1}
    assert stats.by_day[0]["clicks"] == 3


def test_replaying_the_spool_never_double_counts(db: Database, tmp_path: Path) -> None:
    link_id = _link(db)
    records = [click(link_id, v=f"v{i}") for i in range(50)]
    folder = tmp_path / "spool"
    assert _ingest(db, folder, records) == 50
    # The same records spooled again (e.g. a crash after commit, before the file was removed).
    assert _ingest(db, folder, records) == 0
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Click)) == 50
        assert link_stats(session, link_id).total_clicks == 50
    assert list(folder.glob("*.clicks")) == []


def test_a_visitor_flooding_a_link_is_kept_but_not_counted(db: Database, tmp_path: Path) -> None:
    link_id = _link(db)
    t0 = time.time()
    records = [click(link_id, t=t0 + i, v="flooder") for i in range(40)]
    _ingest(db, tmp_path / "spool", records)
    with db.session() as session:
        stats = link_stats(session, link_id)
    assert stats.total_clicks == 40
    assert stats.clicks == POLICY.flood_per_minute
    assert stats.non_human_by_class == {"flood": 40 - POLICY.flood_per_minute}


def test_marking_an_agent_human_recounts_past_clicks(db: Database, tmp_path: Path) -> None:
    link_id = _link(db)
    agent = "Mozilla/5.0 (compatible; Miniflux/2.0; +https://miniflux.app)"
    records = [click(link_id, v=f"reader{i}", ua=agent) for i in range(3)]
    _ingest(db, tmp_path / "spool", records)
    with db.session() as session:
        before = link_stats(session, link_id)
    assert before.clicks == 0
    assert before.non_human_by_class == {"bot": 3}
    with db.session() as session:
        assert mark_agent_human(session, agent) == 3
    with db.session() as session:
        after = link_stats(session, link_id)
    assert (after.clicks, after.non_human_clicks, after.total_clicks) == (3, 0, 3)
    # New clicks from that agent count as human from now on.
    _ingest(db, tmp_path / "spool2", [click(link_id, v="reader9", ua=agent)])
    with db.session() as session:
        assert link_stats(session, link_id).clicks == 4


def test_overall_stats_break_down_by_channel(db: Database, tmp_path: Path) -> None:
    blog = _link(db, "blog-link", "blog")
    mail = _link(db, "mail-link", "email")
    _ingest(
        db,
        tmp_path / "spool",
        [click(blog, v="a"), click(blog, v="b"), click(mail, v="c")],
    )
    with db.session() as session:
        overall = link_stats(session)
    assert overall.clicks == 3
    assert {c["value"]: c["clicks"] for c in overall.by_channel} == {"blog": 2, "email": 1}


def test_clicks_for_deleted_links_and_corrupt_lines_are_skipped(
    db: Database, tmp_path: Path
) -> None:
    link_id = _link(db)
    folder = tmp_path / "spool"
    spool = ClickSpool(folder)
    spool.append(click(link_id, v="ok"))
    spool.append(click(999_999, v="gone"))
    spool.append(click(link_id, v="long id", id="f" * 40))  # would not fit the column
    spool.append(click(str(link_id), v="text link id"))
    spool.append(click(link_id, v="text time", t="yesterday"))
    spool.append(click(link_id, v="list agent", ua=["not", "text"]))
    spool.close()
    segment = next(folder.glob("*.clicks"))
    with segment.open("ab") as handle:
        handle.write(b"{not json\n")
    assert ingest_pending(db, SpoolReader(folder), POLICY) == 1
    assert list(folder.glob("*.clicks")) == []


def test_a_long_running_ingester_remembers_visitors_across_passes(
    db: Database, tmp_path: Path
) -> None:
    link_id = _link(db)
    folder = tmp_path / "spool"
    memory = POLICY.memory()
    t0 = time.time() - 7200
    for at in (t0, t0 + 10, t0 + 3700):  # repeat within the hour, then a new visit
        spool = ClickSpool(folder)
        spool.append(click(link_id, t=at, v="alice"))
        spool.close()
        assert ingest_pending(db, SpoolReader(folder), POLICY, memory=memory) == 1
    with db.session() as session:
        stats = link_stats(session, link_id)
        uniques = list(session.scalars(select(Click.is_unique).order_by(Click.at)))
    assert (stats.clicks, stats.unique_clicks) == (3, 2)
    assert uniques == [True, False, True]


def test_the_memory_reloads_when_another_ingester_stored_clicks(
    db: Database, tmp_path: Path
) -> None:
    link_id = _link(db)
    t0 = time.time()
    memory = POLICY.memory()
    # This ingester has seen the link (bob only) ...
    _spool(tmp_path / "a", [click(link_id, t=t0, v="bob")])
    ingest_pending(db, SpoolReader(tmp_path / "a"), POLICY, memory=memory)
    # ... another one (another machine's spool) stores alice's click ...
    _ingest(db, tmp_path / "b", [click(link_id, t=t0 + 5, v="alice")])
    # ... so alice's second click within the hour is a repeat, not a unique one.
    _spool(tmp_path / "a", [click(link_id, t=t0 + 10, v="alice")])
    ingest_pending(db, SpoolReader(tmp_path / "a"), POLICY, memory=memory)
    with db.session() as session:
        stats = link_stats(session, link_id)
    assert (stats.clicks, stats.unique_clicks) == (3, 2)


def test_segments_of_several_writers_are_ingested_in_time_order(
    db: Database, tmp_path: Path
) -> None:
    link_id = _link(db)
    t0 = time.time()
    folder = tmp_path / "spool"
    # Two web processes, each with its own segment; the later click was spooled first.
    _spool(folder, [click(link_id, t=t0 + 30, v="alice", id=f"{2:031x}a")])
    _spool(folder, [click(link_id, t=t0, v="alice", id=f"{1:031x}a")])
    assert ingest_pending(db, SpoolReader(folder), POLICY) == 2
    with db.session() as session:
        rows = session.execute(select(Click.at, Click.is_unique).order_by(Click.at)).all()
    assert [unique for _at, unique in rows] == [True, False]
    assert list(folder.glob("*.clicks")) == []


def _spool(folder: Path, records: list[dict[str, Any]]) -> None:
    spool = ClickSpool(folder)
    for record in records:
        spool.append(record)
    spool.close()
