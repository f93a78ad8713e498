"""Clicks already answered but still in the spool: found by click ID without ingesting them.

A sale can be reported a moment after its click's redirect, before the ingester has moved the
click into the database (up to EVERGREEN_CLICK_INGEST_DELAY_S under load). Reading the spool
takes no lock and writes nothing, so a conversion never waits for, nor competes with, ingestion.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.links.clicks.rows import is_crawler  # the ingester's own crawler check
from evergreen.links.models import HumanAgent, Link
from evergreen.links.rules import classify

__all__ = ["SpooledClick", "find_spooled", "spooled_clicks"]

# Every spooled line starts with its click ID (the redirect writes it first).
_LINE_ID = re.compile(rb'^\{"id":"([0-9a-f]{32})"', re.MULTILINE)
# The redirect's click IDs: 12 hex digits of Unix milliseconds, then 20 random ones.
_CLICK_ID = re.compile(r"[0-9a-f]{32}")
# A segment takes appends from its opening for at most a few seconds (5 s, then retired with a
# second of grace); the margins allow a slow sync thread and the click's time being read just
# before the segment it lands in was opened.
_BEFORE_OPEN, _AFTER_OPEN = 2.0, 120.0


class SpooledClick(NamedTuple):
    """A spooled click as attribution and matching read it (as ingestion would store it)."""

    click_id: str
    link_id: int
    at: datetime
    visitor: str
    klass: str
    sub: dict[str, str]


def _opened(path: Path) -> float | None:
    """When a segment was opened, from its name (`host.pid-<ns>-seq.clicks`), if readable."""
    parts = path.name.split("-")
    try:
        return int(parts[1]) / 1e9
    except (IndexError, ValueError):
        return None


def _may_hold(path: Path, moments: list[float]) -> bool:
    """Whether a segment may hold a click answered at one of these times."""
    opened = _opened(path)
    if opened is None:
        return True
    return any(opened - _BEFORE_OPEN <= moment <= opened + _AFTER_OPEN for moment in moments)


def find_spooled(folder: Path, click_ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """The spooled records of these click IDs, from the segments on disk that were open when
    each click was answered (complete lines only); other IDs cannot be in the spool."""
    wanted = {i for i in click_ids if _CLICK_ID.fullmatch(i)}
    found: dict[str, dict[str, Any]] = {}
    if not wanted:
        return found
    moments = sorted(int(i[:12], 16) / 1000 for i in wanted)
    for path in sorted(folder.glob("*.clicks")):
        if not _may_hold(path, moments):
            continue
        try:
            data = path.read_bytes()  # segments are bounded (8 MiB)
        except FileNotFoundError:
            continue  # ingested and removed meanwhile: the database has it
        for match in _LINE_ID.finditer(data):
            click_id = match.group(1).decode("ascii")
            if click_id not in wanted or click_id in found:
                continue
            end = data.find(b"\n", match.start())
            if end < 0:
                continue  # a line still being written
            record = _record(data[match.start() : end])
            if record is not None:
                found[click_id] = record
        if len(found) == len(wanted):
            break
    return found


def _record(line: bytes) -> dict[str, Any] | None:
    """A spooled line the ingester would accept, or None."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not (
        isinstance(record, dict)
        and type(record.get("l")) is int
        and type(record.get("t")) in (float, int)
        and type(record.get("ua", "")) is str
    ):
        return None
    return record


def spooled_clicks(
    session: Session, folder: Path, click_ids: Iterable[str]
) -> dict[str, SpooledClick]:
    """Spooled clicks of existing links, classified as the ingester will (a flood of one
    visitor is only known once ingested)."""
    records = find_spooled(folder, set(click_ids))
    if not records:
        return {}
    links = set(
        session.scalars(select(Link.id).where(Link.id.in_({r["l"] for r in records.values()})))
    )
    agents = {str(r.get("ua", ""))[:512] for r in records.values()}
    humans = frozenset(
        session.scalars(select(HumanAgent.user_agent).where(HumanAgent.user_agent.in_(agents)))
    )
    clicks: dict[str, SpooledClick] = {}
    for click_id, record in records.items():
        if record["l"] not in links:
            continue  # its link was deleted: ingestion drops it too
        user_agent = str(record.get("ua", ""))[:512]
        klass, _reason = classify(
            method=str(record.get("m", "GET"))[:8], user_agent=user_agent,
            purpose=str(record.get("p", "")), internal=bool(record.get("i")),
            crawler=is_crawler(user_agent), flood=False, human_agents=humans,
        )  # fmt: skip
        sub = record.get("q")
        clicks[click_id] = SpooledClick(
            click_id,
            record["l"],
            datetime.fromtimestamp(record["t"], UTC),
            str(record.get("v", ""))[:32],
            klass.value,
            {str(k): str(v) for k, v in sub.items()} if isinstance(sub, dict) else {},
        )
    return clicks
