"""Unique and flood decided from the clicks in the database, for when several ingesters write.

Each server's ingester remembers the clicks it stored; a second server's clicks are not in that
memory, so alone it would count a visitor's first click once per server. When others are seen
(a heartbeat row per spool folder, refreshed by every pass), a pass reads each touched (link,
visitor)'s stored clicks around its new ones, decides the union with `rules.visits`, and
corrects stored clicks whose verdict changed, with their rollups moved by deltas. Two passes
deciding the same (link, visitor) take turns: PostgreSQL advisory locks on a few hundred
(link, visitor) buckets, so passes on other visitors of the same links overlap; SQLite has one
writer.
"""

from __future__ import annotations

import socket
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from evergreen.links.clicks.rollups import ClickColumns, Counts, tally
from evergreen.links.clicks.spool import folder_identity
from evergreen.links.clicks.visitors import micros_of
from evergreen.links.models import ClickIngester
from evergreen.links.rules import MINUTE_US, refloods, visits

__all__ = [
    "HEARTBEAT_TTL",
    "Decided",
    "database_now",
    "decide_from_database",
    "heartbeat",
    "ingester_name",
    "lock_bucket",
    "lock_visitors",
    "others_writing",
]

HEARTBEAT_TTL = timedelta(seconds=60)  # an ingester not seen for this long has left
_REFRESH = timedelta(seconds=10)  # how often a pass rewrites its own heartbeat
_LOCK_CLASS = 0x636C6B  # advisory lock class of "some (link, visitor)s' clicks" ("clk")
# Lock keys per transaction at most: PostgreSQL's lock table holds max_locks_per_transaction
# (64) times max_connections entries for the whole server, so a batch must not take one per visitor.
LOCK_BUCKETS = 256
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Key = tuple[int, str]


def ingester_name(folder: Path) -> str:
    """This spool folder's ingester: the host and the folder's identity (a copied data folder
    on another host is another ingester; processes sharing a folder are one)."""
    host = "".join(ch for ch in socket.gethostname() if ch.isalnum())[:40] or "host"
    return f"{host}-{folder_identity(folder)}"[:64]


def lock_bucket(link_id: int, visitor: str) -> int:
    """The advisory lock key of a (link, visitor): the same on every server."""
    return zlib.crc32(f"{link_id}:{visitor}".encode()) % LOCK_BUCKETS


def lock_visitors(session: Session, keys: Iterable[Key]) -> None:
    """Hold these (link, visitor)s' buckets until commit, in one order, so two ingesters never
    decide the same (link, visitor) at once (SQLite: the writer already holds the database)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        return
    rows = [(_LOCK_CLASS, bucket) for bucket in sorted({lock_bucket(*key) for key in keys})]
    if rows:
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%s, %s)", rows)


def heartbeat(session: Session, name: str, now: datetime, last: datetime | None) -> datetime:
    """Note that this ingester writes (at most every few seconds); returns when it was noted."""
    if last is not None and now - last < _REFRESH:
        return last
    row = session.get(ClickIngester, name)
    if row is None:
        session.add(ClickIngester(name=name, seen_at=now))
    else:
        row.seen_at = now
    session.execute(delete(ClickIngester).where(ClickIngester.seen_at < now - 10 * HEARTBEAT_TTL))
    session.flush()
    return now


def database_now(session: Session) -> datetime:
    """The time by the database's clock on PostgreSQL, which every server shares (the machines'
    own clocks may differ by more than a heartbeat); this machine's on SQLite, the only one."""
    if session.get_bind().dialect.name != "postgresql":
        return datetime.now(UTC)
    now: datetime | None = session.scalar(select(func.statement_timestamp()))
    return now.astimezone(UTC) if now is not None else datetime.now(UTC)


def others_writing(session: Session, name: str, now: datetime) -> bool:
    """Whether another ingester wrote clicks within the heartbeat TTL."""
    query = select(ClickIngester.name).where(
        ClickIngester.name != name, ClickIngester.seen_at > now - HEARTBEAT_TTL
    )
    return session.scalar(query.limit(1)) is not None


@dataclass
class Decided:
    """Verdicts for new clicks, by their index in the batch, and corrections made to stored ones
    (their rollup deltas are for the caller to add with the batch's: one upsert, in key order)."""

    verdicts: dict[int, tuple[bool, bool]]
    corrected: int
    times: dict[Key, list[int]]  # each key's clicks from its first new one on, for the memory
    rollups: Counts


def decide_from_database(
    session: Session,
    new: dict[Key, list[tuple[int, str, int]]],
    window: int,
    per_minute: int,
) -> Decided:
    """Decide new clicks ((time µs, click ID, batch index) per key) with the stored ones, and
    correct stored clicks whose verdict the new ones change (rollup deltas returned)."""
    span = max(window, 60_000_000)
    stored = _stored(session, new, span, per_minute)
    verdicts: dict[int, tuple[bool, bool]] = {}
    changes: list[tuple[int, str, str, bool, str, bool]] = []
    times: dict[Key, list[int]] = {}
    for key, fresh in new.items():
        first = min(at for at, _, _ in fresh)
        merged: list[tuple[int, str, int | None, str, bool]] = [
            (at, click_id, None, "", False) for at, click_id, _ in fresh
        ]
        index_of = {click_id: index for _, click_id, index in fresh}
        merged += stored.get(key, [])
        merged.sort(key=lambda click: (click[0], click[1]))
        decided = visits([click[0] for click in merged], window, per_minute)
        for (at, click_id, row_id, klass, was_unique), (unique, flood) in zip(
            merged, decided, strict=True
        ):
            if row_id is None:
                verdicts[index_of[click_id]] = (unique, flood)
                continue
            if at < first:
                continue  # context only: nothing new before it
            new_class = refloods(klass, flood)
            if new_class is not None or unique != was_unique:
                klass_now, reason = new_class or (klass, "")
                changes.append((row_id, klass, klass_now, unique, reason, was_unique))
        times[key] = [click[0] for click in merged if click[0] >= first - span]
    rollups = _correct(session, changes) if changes else defaultdict(lambda: [0, 0, 0])
    return Decided(verdicts, len(changes), times, rollups)


def _stored(
    session: Session, new: dict[Key, list[tuple[int, str, int]]], span: int, per_minute: int
) -> dict[Key, list[tuple[int, str, int | None, str, bool]]]:
    """What of each key's stored clicks decides its new ones or can change with them.

    Before its first new click, the times of the last `per_minute` within the span (row 0):
    the previous click and the flood count need no more, so a visitor clicking all hour costs
    what one clicking twice does. From its first new click to a minute after its last, the rows
    (their flood counts change), and the next row after that (its uniqueness can).
    """
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    keys = sorted(new)
    firsts = [min(c[0] for c in new[key]) for key in keys]
    lasts = [max(c[0] for c in new[key]) for key in keys]
    links, visitors = [key[0] for key in keys], [key[1] for key in keys]
    lows, highs = [first - span for first in firsts], [last + MINUTE_US for last in lasts]
    out: dict[Key, list[tuple[int, str, int | None, str, bool]]] = defaultdict(list)
    if sqlite:
        bounds = [
            (link_id, visitor, _shown(low, True), _shown(first, True), _shown(high, True))
            for link_id, visitor, low, first, high in zip(
                links, visitors, lows, firsts, highs, strict=True
            )
        ]
        for link_id, visitor, at, click_id, row_id, klass, unique in _rows_sqlite(
            connection, bounds, per_minute
        ):
            out[(link_id, visitor)].append((micros_of(at), click_id, row_id, klass, bool(unique)))
        return out
    arrays = (links, visitors, lows, firsts)
    for link_id, visitor, times in connection.exec_driver_sql(_BEFORE, (per_minute, *arrays)):
        if times:
            out[(link_id, visitor)] += [(at, "", 0, "", False) for at in reversed(times)]
    for link_id, visitor, at, click_id, row_id, klass, unique in connection.exec_driver_sql(
        _FROM, (links, visitors, firsts, highs)
    ):
        out[(link_id, visitor)].append((at, click_id, row_id, klass, bool(unique)))
    return out


_MICROS = "(extract(epoch FROM c.at) * 1000000)::bigint"
_SAME = "c.link_id = k.l AND c.visitor = k.v"
_AT = "'epoch'::timestamptz + interval '1 microsecond' * "  # exact: whole microseconds
# (link, visitor, two times in epoch microseconds) per key
_KEYS = (
    f"(SELECT l, v, {_AT}a, {_AT}b FROM unnest(%s::int[], %s::text[], %s::bigint[], "  # noqa: S608
    "%s::bigint[]) AS u(l, v, a, b))"
)
# One statement each, with array parameters: no SQL text grows with the batch.
_BEFORE = (
    f"SELECT k.l, k.v, ARRAY(SELECT {_MICROS} FROM clicks c WHERE {_SAME} "  # noqa: S608
    "AND c.at >= k.lo AND c.at < k.first ORDER BY c.at DESC LIMIT %s) "
    f"FROM {_KEYS} AS k(l, v, lo, first)"
)
_COLUMNS = f'c.link_id, c.visitor, {_MICROS} AS us, c.click_id, c.id, c."class", c.is_unique'
_FROM = (
    'SELECT r.link_id, r.visitor, r.us, r.click_id, r.id, r."class", r.is_unique '  # noqa: S608
    f"FROM {_KEYS} AS k(l, v, first, hi) CROSS JOIN LATERAL ("
    f"(SELECT {_COLUMNS} FROM clicks c WHERE {_SAME} AND c.at >= k.first AND c.at <= k.hi) "
    f"UNION ALL (SELECT {_COLUMNS} FROM clicks c WHERE {_SAME} AND c.at > k.hi "
    "ORDER BY c.at, c.click_id LIMIT 1)) AS r"
)


def _rows_sqlite(
    connection: Any, bounds: list[tuple[int, str, str, str, str]], per_minute: int
) -> list[tuple[Any, ...]]:
    """`_stored`'s three parts on SQLite, 150 keys a statement (the caller sorts the rows)."""
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(bounds), 150):
        chunk = bounds[start : start + 150]
        values = ", ".join(["(?, ?, ?, ?, ?)"] * len(chunk))
        sql = f"WITH k(l, v, lo, first, hi) AS (VALUES {values}) {_SQLITE_PARTS}"
        params = (*(value for bound in chunk for value in bound), per_minute)
        rows += connection.exec_driver_sql(sql, params).fetchall()
    return rows


_SQLITE_SAME = "d.link_id = k.l AND d.visitor = k.v"
_SQLITE_PARTS = (
    "SELECT c.link_id, c.visitor, c.at, '', 0, '', 0 FROM k JOIN clicks c ON c.id IN ("  # noqa: S608
    f"SELECT d.id FROM clicks d WHERE {_SQLITE_SAME} AND d.at >= k.lo AND d.at < k.first "
    "ORDER BY d.at DESC LIMIT ?) "
    'UNION ALL SELECT c.link_id, c.visitor, c.at, c.click_id, c.id, c."class", c.is_unique '
    "FROM k JOIN clicks c ON c.link_id = k.l AND c.visitor = k.v AND c.at >= k.first "
    "AND c.at <= k.hi "
    'UNION ALL SELECT c.link_id, c.visitor, c.at, c.click_id, c.id, c."class", c.is_unique '
    f"FROM k JOIN clicks c ON c.id = (SELECT d.id FROM clicks d WHERE {_SQLITE_SAME} "
    "AND d.at > k.hi ORDER BY d.at, d.click_id LIMIT 1)"
)


def _shown(micros: int, sqlite: bool) -> Any:
    moment = _EPOCH + timedelta(microseconds=micros)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else moment


def _correct(session: Session, changes: Sequence[tuple[int, str, str, bool, str, bool]]) -> Counts:
    """Store the new verdicts; the rollup deltas from the old ones to the new ones."""
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    for row_id, _, klass, unique, reason, _ in changes:
        if reason:
            connection.exec_driver_sql(
                f'UPDATE clicks SET "class" = {mark}, reason = {mark}, is_unique = {mark} '  # noqa: S608
                f"WHERE id = {mark}",
                (klass, reason, unique, row_id),
            )
        else:
            connection.exec_driver_sql(
                f"UPDATE clicks SET is_unique = {mark} WHERE id = {mark}",  # noqa: S608
                (unique, row_id),
            )
    ids = [change[0] for change in changes]
    facts: dict[int, tuple[Any, ...]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join([mark] * len(chunk))
        sql = (
            "SELECT id, link_id, at, country, referrer_host, device, os, browser, sub "  # noqa: S608
            f"FROM clicks WHERE id IN ({marks})"
        )
        for row in connection.exec_driver_sql(sql, tuple(chunk)):
            facts[row[0]] = tuple(row[1:])
    before = _columns(
        [(facts[row_id], klass, unique) for row_id, klass, _, _, _, unique in changes]
    )
    after = _columns([(facts[row_id], klass, unique) for row_id, _, klass, unique, _, _ in changes])
    delta: Counts = defaultdict(lambda: [0, 0, 0])
    for key, counts in tally(after).items():
        delta[key] = list(counts)
    for key, counts in tally(before).items():
        bucket = delta[key]
        for i in range(3):
            bucket[i] -= counts[i]
    return delta


def _columns(clicks: list[tuple[tuple[Any, ...], str, bool]]) -> ClickColumns:
    """Rollup columns of corrected clicks, as the ingester counted them."""
    facts = [fact for fact, _, _ in clicks]
    subs = [orjson.loads(fact[7]) if isinstance(fact[7], str) else fact[7] for fact in facts]
    return ClickColumns(
        link_id=[fact[0] for fact in facts],
        day=[(_EPOCH + timedelta(microseconds=micros_of(fact[1]))).date() for fact in facts],
        klass=[klass for _, klass, _ in clicks],
        unique=[unique for _, _, unique in clicks],
        country=[fact[2] for fact in facts],
        referrer_host=[fact[3] for fact in facts],
        device=[fact[4] for fact in facts],
        os=[fact[5] for fact in facts],
        browser=[fact[6] for fact in facts],
        sub=[sub if isinstance(sub, dict) else {} for sub in subs],
    )
