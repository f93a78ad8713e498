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

from evergreen.links.clicks.ingest import _is_crawler  # the ingester's own crawler check
from evergreen.links.models import HumanAgent, Link
from evergreen.links.rules import classify

__all__ = ["SpooledClick", "find_spooled", "spooled_clicks"]

# Every spooled line starts with its click ID (the redirect writes it first); the ingester
# refuses IDs longer than 32 characters, so no longer one can be waiting.
_LINE_ID = re.compile(rb'^\{"id":"([^"\\]{1,32})"', re.MULTILINE)
_MAX_ID = 32


class SpooledClick(NamedTuple):
    """A spooled click as attribution and matching read it (as ingestion would store it)."""

    click_id: str
    link_id: int
    at: datetime
    visitor: str
    klass: str
    sub: dict[str, str]


def find_spooled(folder: Path, click_ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """The spooled records of these click IDs, from every segment on disk (complete lines only)."""
    wanted = {i for i in click_ids if 0 < len(i) <= _MAX_ID and '"' not in i and "\\" not in i}
    found: dict[str, dict[str, Any]] = {}
    if not wanted:
        return found
    for path in sorted(folder.glob("*.clicks")):
        try:
            data = path.read_bytes()  # segments are bounded (8 MiB)
        except FileNotFoundError:
            continue  # ingested and removed meanwhile: the database has it
        for match in _LINE_ID.finditer(data):
            click_id = match.group(1).decode("utf-8", "replace")
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
            crawler=_is_crawler(user_agent), flood=False, human_agents=humans,
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
