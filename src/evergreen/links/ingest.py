"""Move clicks from the spool into the database: classify, count uniques, roll up, in batches."""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from crawlerdetect import CrawlerDetect
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from ua_parser import parse as parse_user_agent

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.links.models import Click, HumanAgent, Link, SpoolOffset
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
    "count_click",
    "ingest_pending",
    "ingest_records",
    "rollup_pairs",
    "spool_folder",
]

log = logging.getLogger(__name__)
ROLLUP_DIMENSIONS = (
    "all", "class", "country", "referrer", "device", "os", "browser",
    *SUB_PARAMS, "utm_source", "utm_medium", "utm_campaign",
)  # fmt: skip
_crawlers = CrawlerDetect()
_SUB_DIMENSIONS = (*SUB_PARAMS, "utm_source", "utm_medium", "utm_campaign")


@dataclass(frozen=True)
class ClickPolicy:
    """Owner-tunable thresholds for uniqueness and flooding."""

    unique_window: timedelta = timedelta(hours=1)
    flood_per_minute: int = 30

    @classmethod
    def of(cls, settings: Settings) -> ClickPolicy:
        """The policy the owner configured (EVERGREEN_CLICK_* settings)."""
        return cls(
            unique_window=timedelta(minutes=settings.click_unique_minutes),
            flood_per_minute=settings.click_flood_per_minute,
        )


def spool_folder(settings: Settings) -> Path:
    """Where this machine's redirects spool their clicks."""
    return Path(settings.data_dir) / "spool"


def count_click(
    counts: dict[tuple[int, date, str, str], list[int]],
    link_id: int,
    day: date,
    pairs: list[tuple[str, str]],
    *,
    human: bool,
    unique: bool,
) -> None:
    """Add one click to the rollup counters (total, human, unique) of each of its dimensions."""
    for dimension, value in pairs:
        bucket = counts[(link_id, day, dimension, value)]
        bucket[0] += 1
        if human:
            bucket[1] += 1
            if unique:
                bucket[2] += 1


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


class _Visitors:
    """What the ingester knows of each (link, visitor): the last click and the last minute's.

    Loaded from the database once per key and then kept current in memory for the whole pass,
    so uniqueness and flooding cost two small queries per batch, not one per click.
    """

    def __init__(self, policy: ClickPolicy) -> None:
        self.window = policy.unique_window.total_seconds()
        self.keep = policy.flood_per_minute
        self.last: dict[tuple[int, str], float] = {}
        self.recent: dict[tuple[int, str], deque[float]] = {}

    def load(self, session: Session, keys: set[tuple[int, str]], since: float) -> None:
        """Fetch the history of keys not seen yet in this pass."""
        missing = sorted(k for k in keys if k not in self.last)
        for key in missing:
            self.last[key] = -1.0
            self.recent[key] = deque(maxlen=self.keep)
        visitors = sorted({visitor for _link, visitor in missing})
        horizon = since - max(self.window, 60.0)
        minute = since - 60.0
        connection = session.connection()
        sqlite = connection.dialect.name == "sqlite"
        # Plain driver rows: this runs for every batch and can return many thousands of times.
        cutoff: Any = _sqlite_time(horizon)[0] if sqlite else datetime.fromtimestamp(horizon, UTC)
        for start in range(0, len(visitors), 900):
            chunk = visitors[start : start + 900]
            mark = "?" if sqlite else "%s"
            marks = ", ".join([mark] * len(chunk))  # placeholders only; values are bound
            sql = f"SELECT link_id, visitor, at FROM clicks WHERE at >= {mark} AND visitor IN ({marks}) ORDER BY at"  # noqa: E501, S608
            for link_id, visitor, at in connection.exec_driver_sql(sql, (cutoff, *chunk)):
                key = (link_id, visitor)
                if key not in self.recent:
                    continue
                moment = _epoch(at)
                if moment > self.last[key]:
                    self.last[key] = moment
                if moment > minute:
                    self.recent[key].append(moment)

    def see(self, key: tuple[int, str], now: float) -> tuple[bool, bool]:
        """(unique, flood) for a click now, then remember it."""
        last = self.last[key]
        recent = self.recent[key]
        flood = is_flood(recent, now, self.keep)
        unique = is_unique(last if last >= 0 else None, now, self.window)
        self.last[key] = now
        recent.append(now)
        return unique, flood


def rollup_pairs(
    klass: str, country: str, referrer: str, device: str, os: str, browser: str,
    sub: dict[str, str],
) -> list[tuple[str, str]]:  # fmt: skip
    """The (dimension, value) pairs one click is counted under."""
    pairs = [
        ("all", ""),
        ("class", klass),
        ("country", country or "unknown"),
        ("referrer", referrer or "direct"),
        ("device", device or "unknown"),
        ("os", os or "unknown"),
        ("browser", browser or "unknown"),
    ]
    for name in _SUB_DIMENSIONS:
        value = sub.get(name)
        if value:
            pairs.append((name, value[:255]))
    return pairs


def _readable(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    good: list[dict[str, Any]] = []
    for record in records:
        if "_corrupt" in record or not record.get("id") or not record.get("l"):
            log.error("skipping unreadable spool record: %s", str(record)[:200])
        else:
            good.append(record)
    return good


def _new_only(session: Session, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop clicks already stored (a replayed spool) and clicks of links deleted since."""
    ids = [r["id"] for r in records]
    seen: set[str] = set()
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        seen.update(session.scalars(select(Click.click_id).where(Click.click_id.in_(chunk))))
    wanted = {r["l"] for r in records}
    links = set(session.scalars(select(Link.id).where(Link.id.in_(wanted))))
    fresh = [r for r in records if r["id"] not in seen and r["l"] in links]
    fresh.sort(key=lambda r: float(r["t"]))
    return fresh


_COLUMNS = (
    "click_id", "link_id", "at", "method", "visitor", "user_agent", "referrer", "referrer_host",
    "country", "device", "os", "browser", "sub", "class", "reason", "is_unique", "destination",
)  # fmt: skip


def _insert_clicks(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Insert through the driver's executemany: this is the ingester's hot loop, and rows are
    already in the driver's types (ISO text times on SQLite, aware datetimes on PostgreSQL)."""
    connection = session.connection()
    mark = "?" if connection.dialect.name == "sqlite" else "%s"
    columns = ", ".join(f'"{name}"' for name in _COLUMNS)  # constants, not input
    marks = ", ".join([mark] * len(_COLUMNS))
    sql = f"INSERT INTO clicks ({columns}) VALUES ({marks})"  # noqa: S608
    connection.exec_driver_sql(sql, rows)


def _epoch(value: Any) -> float:
    """Epoch seconds from a driver's time value: text on SQLite, a datetime on PostgreSQL."""
    if isinstance(value, datetime):
        return value.timestamp()
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC).timestamp()


@lru_cache(maxsize=4096)
def _second(epoch: int) -> tuple[str, date]:
    """Text and day of a whole UTC second (clicks arrive many to a second)."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S"), moment.date()


def _sqlite_time(epoch: float) -> tuple[str, date]:
    """The text form SQLAlchemy gives a UTC datetime on SQLite (so the ORM reads it back)."""
    whole = int(epoch)
    text, day = _second(whole)
    micro = min(round((epoch - whole) * 1_000_000), 999_999)
    return f"{text}.{micro:06d}", day


def ingest_records(
    session: Session,
    records: Sequence[dict[str, Any]],
    policy: ClickPolicy,
    visitors: _Visitors | None = None,
) -> int:
    """Store a batch of spooled clicks once each (replays are absorbed by click ID)."""
    fresh = _new_only(session, _readable(records))
    if not fresh:
        return 0
    memory = visitors or _Visitors(policy)
    memory.load(session, {(r["l"], str(r.get("v", ""))) for r in fresh}, float(fresh[0]["t"]))
    humans = frozenset(session.scalars(select(HumanAgent.user_agent)))
    sqlite = session.get_bind().dialect.name == "sqlite"
    rows: list[tuple[Any, ...]] = []
    counts: dict[tuple[int, date, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for record in fresh:
        now = float(record["t"])
        at: str | datetime
        if sqlite:
            at, day = _sqlite_time(now)
        else:
            moment = datetime.fromtimestamp(now, UTC)
            at, day = moment, moment.date()
        user_agent = str(record.get("ua", ""))[:512]
        visitor = str(record.get("v", ""))[:32]
        link_id = record["l"]
        unique, flood = memory.see((link_id, visitor), now)
        method = str(record.get("m", "GET"))[:8]
        klass, reason = classify(
            method=method,
            user_agent=user_agent,
            purpose=str(record.get("p", "")),
            internal=bool(record.get("i")),
            crawler=_is_crawler(user_agent),
            flood=flood,
            human_agents=humans,
        )
        device, os_family, browser = agent_of(user_agent)
        referrer = str(record.get("r", ""))[:512]
        host = referrer_host(referrer)
        country = str(record.get("c", ""))[:2]
        sub = {k: str(v)[:255] for k, v in (record.get("q") or {}).items()}
        rows.append(
            (
                record["id"], link_id, at, method, visitor,
                user_agent, referrer, host, country, device, os_family, browser,
                orjson.dumps(sub).decode(), klass.value, reason[:120], unique,
                str(record.get("d", ""))[:2048],
            )
        )  # fmt: skip
        pairs = rollup_pairs(klass.value, country, host, device, os_family, browser, sub)
        count_click(counts, link_id, day, pairs, human=klass is ClickClass.HUMAN, unique=unique)
    _insert_clicks(session, rows)
    add_rollups(session, counts)
    return len(rows)


def add_rollups(session: Session, counts: dict[tuple[int, date, str, str], list[int]]) -> None:
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
    rows = [
        (link_id, day.isoformat() if sqlite else day, dimension, value, *numbers)
        for (link_id, day, dimension, value), numbers in counts.items()
    ]
    for start in range(0, len(rows), 20_000):
        connection.exec_driver_sql(sql, rows[start : start + 20_000])


def ingest_pending(
    db: Database, reader: SpoolReader, policy: ClickPolicy, batch: int = 100_000
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
        memory = _Visitors(policy)
        while True:
            progressed = False
            finished: list[str] = []
            for segment in reader.segments(offsets, batch):
                if segment.end == segment.start and not segment.finished:
                    continue
                with db.session() as session:
                    total += ingest_records(session, segment.records, policy, memory)
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
