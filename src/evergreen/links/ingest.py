"""Move clicks from the spool into the database: classify, count uniques, roll up, in batches."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from crawlerdetect import CrawlerDetect
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session
from ua_parser import parse as parse_user_agent

from evergreen.db import Database
from evergreen.links.models import Click, ClickRollup, HumanAgent, Link, SpoolOffset
from evergreen.links.rules import (
    SUB_PARAMS,
    ClickClass,
    classify,
    device_type,
    is_flood,
    is_unique,
    referrer_host,
)
from evergreen.links.spool import SpoolReader

__all__ = [
    "ClickPolicy",
    "add_rollups",
    "agent_of",
    "ingest_pending",
    "ingest_records",
    "rollup_rows",
]

log = logging.getLogger(__name__)
ROLLUP_DIMENSIONS = (
    "all", "class", "country", "referrer", "device", "os", "browser",
    *SUB_PARAMS, "utm_source", "utm_medium", "utm_campaign",
)  # fmt: skip
_crawlers = CrawlerDetect()


@dataclass(frozen=True)
class ClickPolicy:
    """Owner-tunable thresholds for uniqueness and flooding."""

    unique_window: timedelta = timedelta(hours=1)
    flood_per_minute: int = 30


@lru_cache(maxsize=20_000)
def _is_crawler(user_agent: str) -> bool:
    return bool(user_agent) and bool(_crawlers.isCrawler(user_agent))


@lru_cache(maxsize=20_000)
def agent_of(user_agent: str) -> tuple[str, str, str]:
    """(device type, OS family, browser family) for a user agent; cached, agents repeat a lot."""
    if not user_agent:
        return "", "", ""
    parsed = parse_user_agent(user_agent)
    os_family = parsed.os.family if parsed.os else "Other"
    device_family = parsed.device.family if parsed.device else "Other"
    browser = parsed.user_agent.family if parsed.user_agent else "Other"
    return device_type(os_family, device_family), os_family[:40], browser[:40]


def _when(record: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(float(record["t"]), UTC)


def _history(
    session: Session, records: Sequence[dict[str, Any]], since: datetime
) -> dict[tuple[int, str], list[datetime]]:
    """Earlier clicks of the batch's visitors on the same links, oldest first."""
    visitors = sorted({r["v"] for r in records if r.get("v")})
    history: dict[tuple[int, str], list[datetime]] = defaultdict(list)
    for start in range(0, len(visitors), 500):
        chunk = visitors[start : start + 500]
        rows = session.execute(
            select(Click.link_id, Click.visitor, Click.at)
            .where(Click.visitor.in_(chunk), Click.at >= since)
            .order_by(Click.at)
        )
        for link_id, visitor, at in rows:
            history[(link_id, visitor)].append(at)
    return history


def rollup_rows(click: dict[str, Any]) -> list[tuple[str, str]]:
    """The (dimension, value) pairs one click is counted under."""
    sub = click["sub"]
    pairs = [
        ("all", ""),
        ("class", click["klass"]),
        ("country", click["country"] or "unknown"),
        ("referrer", click["referrer_host"] or "direct"),
        ("device", click["device"] or "unknown"),
        ("os", click["os"] or "unknown"),
        ("browser", click["browser"] or "unknown"),
    ]
    for name in (*SUB_PARAMS, "utm_source", "utm_medium", "utm_campaign"):
        if sub.get(name):
            pairs.append((name, sub[name][:255]))
    return pairs


def ingest_records(session: Session, records: Sequence[dict[str, Any]], policy: ClickPolicy) -> int:
    """Store a batch of spooled clicks once each (replays are absorbed by click ID)."""
    good: list[dict[str, Any]] = []
    for record in records:
        if "_corrupt" in record or not record.get("id") or not record.get("l"):
            log.error("skipping unreadable spool record: %s", str(record)[:200])
        else:
            good.append(record)
    if not good:
        return 0
    ids = [r["id"] for r in good]
    seen: set[str] = set()
    for start in range(0, len(ids), 500):
        seen.update(
            session.scalars(
                select(Click.click_id).where(Click.click_id.in_(ids[start : start + 500]))
            )
        )
    links = set(session.scalars(select(Link.id).where(Link.id.in_({r["l"] for r in good}))))
    fresh = [r for r in good if r["id"] not in seen and r["l"] in links]
    fresh.sort(key=lambda r: float(r["t"]))
    if not fresh:
        return 0
    humans = frozenset(session.scalars(select(HumanAgent.user_agent)))
    history = _history(
        session, fresh, _when(fresh[0]) - max(policy.unique_window, timedelta(minutes=1))
    )
    rows: list[dict[str, Any]] = []
    counts: dict[tuple[int, date, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for record in fresh:
        at = _when(record)
        user_agent = str(record.get("ua", ""))[:512]
        key = (record["l"], str(record.get("v", "")))
        earlier = history[key]
        klass, reason = classify(
            method=str(record.get("m", "GET")),
            user_agent=user_agent,
            purpose=str(record.get("p", "")),
            internal=bool(record.get("i")),
            crawler=_is_crawler(user_agent),
            flood=is_flood(earlier, at, policy.flood_per_minute),
            human_agents=humans,
        )
        unique = is_unique(earlier[-1] if earlier else None, at, policy.unique_window)
        earlier.append(at)
        device, os_family, browser = agent_of(user_agent)
        referrer = str(record.get("r", ""))[:512]
        click = {
            "click_id": record["id"],
            "link_id": record["l"],
            "at": at,
            "method": str(record.get("m", "GET"))[:8],
            "visitor": key[1][:32],
            "user_agent": user_agent,
            "referrer": referrer,
            "referrer_host": referrer_host(referrer),
            "country": str(record.get("c", ""))[:2],
            "device": device,
            "os": os_family,
            "browser": browser,
            "sub": {k: str(v)[:255] for k, v in dict(record.get("q", {})).items()},
            "klass": klass.value,
            "reason": reason[:120],
            "is_unique": unique,
            "destination": str(record.get("d", ""))[:2048],
        }
        rows.append(click)
        human = klass is ClickClass.HUMAN
        for dimension, value in rollup_rows(click):
            bucket = counts[(record["l"], at.date(), dimension, value)]
            bucket[0] += 1
            bucket[1] += human
            bucket[2] += human and unique
    session.execute(insert(Click), rows)
    add_rollups(session, counts)
    return len(rows)


def add_rollups(session: Session, counts: dict[tuple[int, date, str, str], list[int]]) -> None:
    """Increment rollup rows, creating them as needed (an upsert on both dialects)."""
    if not counts:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    values = [
        {"link_id": k[0], "day": k[1], "dimension": k[2], "value": k[3],
         "total": v[0], "human": v[1], "unique": v[2]}
        for k, v in counts.items()
    ]  # fmt: skip
    statement = upsert(ClickRollup)
    statement = statement.on_conflict_do_update(
        index_elements=["link_id", "day", "dimension", "value"],
        set_={
            "total": ClickRollup.total + statement.excluded.total,
            "human": ClickRollup.human + statement.excluded.human,
            "unique": ClickRollup.unique + statement.excluded.unique,
        },
    )
    for start in range(0, len(values), 1000):
        session.execute(statement, values[start : start + 1000])


def ingest_pending(
    db: Database, reader: SpoolReader, policy: ClickPolicy, batch: int = 5000
) -> int:
    """Ingest everything spooled so far; safe to call from several processes at once."""
    total = 0
    with reader.exclusive():
        present = {path.name for path in reader.folder.glob("*.clicks")}
        with db.session() as session:
            offsets = dict(session.execute(select(SpoolOffset.name, SpoolOffset.offset)).all())
            gone = [name for name in offsets if name not in present]
            if gone:
                session.execute(delete(SpoolOffset).where(SpoolOffset.name.in_(gone)))
        while True:
            progressed = False
            finished: list[str] = []
            for segment in reader.segments(offsets, batch):
                if segment.end == segment.start and not segment.finished:
                    continue
                with db.session() as session:
                    total += ingest_records(session, segment.records, policy)
                    row = session.get(SpoolOffset, segment.name)
                    if row is None:
                        session.add(SpoolOffset(name=segment.name, offset=segment.end))
                    else:
                        row.offset = segment.end
                offsets[segment.name] = segment.end
                progressed = progressed or segment.end > segment.start
                if segment.finished:
                    finished.append(segment.name)
            for name in finished:
                reader.remove(name)
            if not progressed:
                return total
