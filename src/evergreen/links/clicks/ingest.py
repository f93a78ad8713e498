"""Move clicks from the spool into the database: classify, count uniques, roll up, in batches."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.gc_pause import collector_paused
from evergreen.links.clicks import offsets as spool_offsets
from evergreen.links.clicks.batches import Batch, plan
from evergreen.links.clicks.rollups import Counts, add_rollups, tally
from evergreen.links.clicks.rows import agent_of, insert_clicks, is_crawler, prepare
from evergreen.links.clicks.shared import (
    HEARTBEAT_TTL,
    database_now,
    decide_from_database,
    heartbeat,
    ingester_name,
    lock_visitors,
    others_writing,
)
from evergreen.links.clicks.spool import SpoolReader
from evergreen.links.clicks.visitors import VisitorMemory
from evergreen.links.models import Click, HumanAgent, Link
from evergreen.links.rules import classify

__all__ = [
    "ClickPolicy",
    "agent_of",
    "ingest_pending",
    "ingest_records",
    "spool_folder",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClickPolicy:
    """Owner-tunable thresholds for uniqueness and flooding, and who decides them.

    `ingesters`: "auto" notes each ingester in the database and reads the stored clicks while
    another one writes; "single" trusts this ingester's memory; "shared" always reads."""

    unique_window: timedelta = timedelta(hours=1)
    flood_per_minute: int = 30
    ingesters: str = "auto"

    @classmethod
    def of(cls, settings: Settings) -> ClickPolicy:
        """The policy the owner configured (EVERGREEN_CLICK_* settings)."""
        return cls(
            unique_window=timedelta(minutes=settings.click_unique_minutes),
            flood_per_minute=settings.click_flood_per_minute,
            ingesters=settings.click_ingesters,
        )

    @property
    def window_us(self) -> int:
        """The unique window in microseconds, the unit clicks are decided in."""
        return self.unique_window // timedelta(microseconds=1)

    def memory(self) -> VisitorMemory:
        """An empty memory of recent clicks under this policy."""
        return VisitorMemory(self.window_us, self.flood_per_minute)


def spool_folder(settings: Settings) -> Path:
    """Where this machine's redirects spool their clicks."""
    return Path(settings.data_dir) / "spool"


def _readable(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records the redirect could have written (one bad line must not block its batch)."""
    good: list[dict[str, Any]] = []
    for record in records:
        click_id, link_id, at = record.get("id"), record.get("l"), record.get("t")
        if not (
            isinstance(click_id, str)
            and 0 < len(click_id) <= 32
            and type(link_id) is int
            and type(at) in (float, int)
            and type(record.get("ua", "")) is str
        ):
            log.error("skipping unreadable spool record: %s", str(record)[:200])
        else:
            good.append(record)
    return good


def _new_only(session: Session, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop clicks already stored (a replayed spool) and clicks of links deleted since.

    Click IDs start with their time, so one range scan of the click ID index finds every
    stored click of the batch's time span (usually none) instead of a lookup per click.
    """
    if not records:
        return []
    ids = [str(r["id"]) for r in records]
    seen = set(
        session.scalars(select(Click.click_id).where(Click.click_id.between(min(ids), max(ids))))
    )
    wanted = {r["l"] for r in records}
    links = set(session.scalars(select(Link.id).where(Link.id.in_(wanted))))
    fresh = [r for r in records if r["l"] in links and r["id"] not in seen]
    fresh.sort(key=itemgetter("t", "id"))  # the order every ingester decides in
    return fresh


def _shared(
    session: Session, policy: ClickPolicy, ingester: str, keys: set[tuple[int, str]]
) -> bool:
    """Lock the batch's (link, visitor)s, note this ingester, and say whether others write too."""
    if policy.ingesters == "single":
        return False
    lock_visitors(session, keys)
    if policy.ingesters == "shared":
        return True
    now = database_now(session)  # heartbeats of every server on one clock
    if ingester:
        _beats[ingester] = heartbeat(session, ingester, now, _beats.get(ingester))
    return others_writing(session, ingester, now)


_beats: dict[str, datetime] = {}  # when each ingester of this process last noted itself


def ingest_records(
    session: Session,
    records: Sequence[dict[str, Any]],
    policy: ClickPolicy,
    memory: VisitorMemory | None = None,
    ingester: str = "",
) -> int:
    """Store a batch of spooled clicks once each (replays are absorbed by click ID).

    Unique and flood come from this ingester's memory when it alone writes and the click comes
    after what it remembers; otherwise from the stored clicks (`shared.decide_from_database`).
    """
    fresh = _new_only(session, _readable(records))
    if not fresh:
        return 0
    memory = memory or policy.memory()
    batch = prepare(fresh, session.get_bind().dialect.name == "sqlite")  # before any lock
    times, keys = batch.times, batch.keys
    alone = not _shared(session, policy, ingester, set(keys))
    late: set[tuple[int, str]] = set()  # decided from the stored clicks when alone
    idle = time.monotonic() - memory.settled if memory.settled else 0.0
    if alone and policy.ingesters == "auto" and idle > HEARTBEAT_TTL.total_seconds() / 2:
        # Another ingester may have come, written and gone meanwhile, with click IDs below the
        # mark (PostgreSQL numbers them before they commit): read the clicks again.
        memory.forget()
    if alone:
        memory.prepare(session, {link_id for link_id, _ in keys}, times[0])
        firsts: dict[tuple[int, str], int] = {}
        for key, now in zip(keys, times, strict=True):
            firsts.setdefault(key, now)
        knows = memory.knows
        late = {key for key, now in firsts.items() if not knows(key, now)}
    else:
        memory.forget()  # others write: what it remembers may be missing their clicks
    humans = frozenset(session.scalars(select(HumanAgent.user_agent)))
    # (facts, flood, unique) → (class, reason, unique): the tail of a decided row, once each.
    decided: dict[tuple[tuple[str, str, str, bool], bool, bool], tuple[str, str, bool]] = {}

    def verdict(
        facts: tuple[str, str, str, bool], flood: bool, unique: bool
    ) -> tuple[str, str, bool]:
        known = decided.get((facts, flood, unique))
        if known is None:
            method, user_agent, purpose, internal = facts
            klass, reason = classify(
                method=method, user_agent=user_agent, purpose=purpose, internal=internal,
                crawler=is_crawler(user_agent), flood=flood, human_agents=humans,
            )  # fmt: skip
            known = decided[(facts, flood, unique)] = (klass.value, reason[:120], unique)
        return known

    head, facts = batch.head, batch.facts
    rows: list[tuple[Any, ...]] = []
    # (link, visitor) → (time, click ID, index) of clicks decided from the stored clicks
    pending: dict[tuple[int, str], list[tuple[int, str, int]]] = {}
    corrections: Counts | None = None  # rollup deltas of stored clicks decided again
    see = memory.see
    for index, key in enumerate(keys):
        if alone and key not in late:
            unique, flood = see(key, times[index])
        else:
            pending.setdefault(key, []).append((times[index], fresh[index]["id"], index))
            unique, flood = True, False  # decided below
        rows.append(head[index] + verdict(facts[index], flood, unique))
    if pending:
        truth = decide_from_database(session, pending, policy.window_us, policy.flood_per_minute)
        corrections = truth.rollups
        for index, (unique, flood) in truth.verdicts.items():
            rows[index] = head[index] + verdict(facts[index], flood, unique)
        if alone:
            for key, known in truth.times.items():
                memory.reset(key, known)
    insert_clicks(session, rows)
    # Last, and in one sorted upsert: other ingesters wait on these rows until this commits.
    counts = tally(batch.columns(rows), corrections)
    if corrections is not None:  # a correction may cancel a count out; a click alone cannot
        counts = {key: n for key, n in counts.items() if any(n)}
    add_rollups(session, counts)
    if alone:
        memory.settle(session, times[-1])
    return len(rows)


def ingest_pending(
    db: Database,
    reader: SpoolReader,
    policy: ClickPolicy,
    batch: int = 100_000,
    memory: VisitorMemory | None = None,
    *,
    deadline: float | None = None,
    sweep: bool = True,
    first_batch: bool = False,
    wait: bool = True,
) -> int:
    """Ingest everything spooled so far; safe to call from several processes at once.
    Without `wait`, SpoolBusy at once when another ingester has the spool.

    A long-running ingester passes the same `memory` to every call. With a `deadline`
    (time.monotonic()), no batch starts after it: what is left stays in the spool; with
    `first_batch`, the first batch starts whatever the deadline (a slice always moves on).
    `sweep` forgets offsets of segments not in this folder (off for another machine's spool).
    """
    memory = memory or policy.memory()
    name = ingester_name(reader.folder) if policy.ingesters == "auto" else ""
    try:
        with reader.exclusive(wait=wait), collector_paused():
            return _ingest_segments(
                db, reader, policy, batch, memory, name, deadline, sweep, first_batch
            )
    except BaseException:
        memory.forget()  # it may hold clicks of a batch that was rolled back
        _beats.pop(name, None)  # and its heartbeat may have been rolled back with it
        raise


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


def _ingest_segments(
    db: Database,
    reader: SpoolReader,
    policy: ClickPolicy,
    batch: int,
    memory: VisitorMemory,
    name: str,
    deadline: float | None = None,
    sweep: bool = True,
    first_batch: bool = False,
) -> int:
    total = 0
    free = first_batch  # the first batch may start after the deadline

    def past() -> bool:
        return not free and _past(deadline)

    present = {path.name for path in reader.folder.glob("*.clicks")}
    with db.session() as session:
        offsets = spool_offsets.read(session, present)
        if sweep:  # only this folder's: other servers' offsets are theirs to forget
            spool_offsets.forget_gone(session, reader.prefix, present)
    while True:
        read = [
            segment
            for segment in reader.segments(offsets, batch)
            if segment.end > segment.start or segment.finished
        ]
        planned = plan(read, batch, batch)
        stopped = False
        for part in planned.batches:
            stopped = past()
            if stopped:
                break  # not started: it stays in the spool
            total += _ingest_group(db, part, policy, memory, name)
            offsets.update(part.offsets)
            free = False
        finished = [s.name for s in read if s.finished and offsets.get(s.name, 0) == s.end]
        for segment_name in finished:
            reader.remove(segment_name)
        if finished:  # their offsets too (left behind by a crash here, the next sweep takes them)
            with db.session() as session:
                spool_offsets.forget(session, finished)
        # Only what was there when the pass looked: going on for what arrived while it
        # worked would chase the writers in ever smaller (dearer a click) batches.
        if stopped or not planned.more or _past(deadline):
            return total


def _ingest_group(
    db: Database, part: Batch, policy: ClickPolicy, memory: VisitorMemory, name: str
) -> int:
    """A batch of clicks in one transaction, with the offsets its segments were read to."""
    with db.session() as session:
        stored = ingest_records(session, part.records, policy, memory, name)
        spool_offsets.record(session, part.offsets)
    return stored
