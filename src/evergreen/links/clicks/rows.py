"""Spooled clicks turned into rows of the clicks table: the per-click work of a pass (user agent,
referrer, times), done before the pass locks anything, so two ingesters overlap in it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import Any

import orjson
from crawlerdetect import CrawlerDetect
from sqlalchemy.orm import Session
from ua_parser import parse as parse_user_agent

from evergreen.links.clicks.rollups import ClickColumns
from evergreen.links.rules import device_type, referrer_host

__all__ = ["CLICK_COLUMNS", "Prepared", "agent_of", "insert_clicks", "is_crawler", "prepare"]

_crawlers = CrawlerDetect()
Key = tuple[int, str]


@lru_cache(maxsize=20_000)
def is_crawler(user_agent: str) -> bool:
    """Whether a user agent is a known crawler; cached, agents repeat a lot."""
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


_host = lru_cache(maxsize=20_000)(referrer_host)


def _agent(known: dict[Any, tuple[str, str, str, str]], raw: Any) -> tuple[str, str, str, str]:
    """(user agent as stored, device, OS, browser) for a spooled user agent, once per batch."""
    user_agent = str(raw)[:512]
    known[raw] = (user_agent, *agent_of(user_agent))
    return known[raw]  # pages that send clicks repeat a lot


@lru_cache(maxsize=4096)
def _second(epoch: int) -> tuple[str, date]:
    """Text and day of a whole UTC second (clicks arrive many to a second)."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S"), moment.date()


def _sqlite_time(micros: int) -> tuple[str, date]:
    """The text form SQLAlchemy gives a UTC datetime on SQLite (so the ORM reads it back)."""
    whole, micro = divmod(micros, 1_000_000)
    text, day = _second(whole)
    return f"{text}.{micro:06d}", day


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _pg_time(micros: int) -> tuple[datetime, date]:
    moment = _EPOCH + timedelta(microseconds=micros)
    return moment, moment.date()


@dataclass
class Prepared:
    """A batch's clicks, all but their verdicts: `head` holds every column before class, reason
    and unique (`CLICK_COLUMNS` order), so a decided row is one tuple concatenation."""

    head: list[tuple[Any, ...]] = field(default_factory=list)
    times: list[int] = field(default_factory=list)  # µs, as stored
    keys: list[Key] = field(default_factory=list)  # (link, visitor)
    facts: list[tuple[str, str, str, bool]] = field(default_factory=list)  # what classify reads
    days: list[date] = field(default_factory=list)
    subs: list[dict[str, Any]] = field(default_factory=list)

    def columns(self, rows: list[tuple[Any, ...]]) -> ClickColumns:
        """The facts rollups count, read from the decided rows column by column in C
        (`itemgetter`) rather than by transposing all seventeen columns."""

        def column(name: str) -> list[Any]:
            return list(map(itemgetter(CLICK_COLUMNS.index(name)), rows))

        return ClickColumns(
            link_id=column("link_id"), day=self.days, klass=column("class"),
            unique=column("is_unique"), country=column("country"),
            referrer_host=column("referrer_host"), device=column("device"), os=column("os"),
            browser=column("browser"), sub=self.subs,
        )  # fmt: skip


def prepare(records: Sequence[dict[str, Any]], sqlite: bool) -> Prepared:
    """Parse and shape readable, new records (in the order they will be decided in)."""
    timed = _sqlite_time if sqlite else _pg_time
    agents: dict[Any, tuple[str, str, str, str]] = {}
    out = Prepared()
    for record in records:
        now = round(record["t"] * 1_000_000)
        at, day = timed(now)
        raw_agent = record.get("ua", "")
        user_agent, device, os_family, browser = agents.get(raw_agent) or _agent(agents, raw_agent)
        visitor = str(record.get("v", ""))[:32]
        link_id = record["l"]
        method = str(record.get("m", "GET"))[:8]
        referrer = str(record.get("r", ""))[:512]
        sub = record.get("q")
        if not isinstance(sub, dict):
            sub = {}
        out.head.append(
            (
                record["id"], link_id, at, method, visitor,
                user_agent, referrer, _host(referrer), str(record.get("c", ""))[:2],
                device, os_family, browser, orjson.dumps(sub).decode(),
                str(record.get("d", ""))[:2048],
            )
        )  # fmt: skip
        out.times.append(now)
        out.keys.append((link_id, visitor))
        out.facts.append((method, user_agent, str(record.get("p", "")), bool(record.get("i"))))
        out.days.append(day)
        out.subs.append(sub)
    return out


CLICK_COLUMNS = (
    "click_id", "link_id", "at", "method", "visitor", "user_agent", "referrer", "referrer_host",
    "country", "device", "os", "browser", "sub", "destination", "class", "reason", "is_unique",
)  # fmt: skip


def insert_clicks(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Insert the ingester's hot loop's rows, already in the driver's types (ISO text times on
    SQLite, aware datetimes on PostgreSQL): COPY on PostgreSQL (a few times cheaper than
    INSERTs, for the ingester and the database), executemany on SQLite."""
    connection = session.connection()
    columns = ", ".join(f'"{name}"' for name in CLICK_COLUMNS)  # constants, not input
    if connection.dialect.name == "postgresql":
        raw: Any = connection.connection.dbapi_connection  # psycopg's, in this transaction
        with raw.cursor() as cursor, cursor.copy(f"COPY clicks ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join(["?"] * len(CLICK_COLUMNS))
    sql = f"INSERT INTO clicks ({columns}) VALUES ({marks})"  # noqa: S608
    for start in range(0, len(rows), 20_000):
        connection.exec_driver_sql(sql, rows[start : start + 20_000])
