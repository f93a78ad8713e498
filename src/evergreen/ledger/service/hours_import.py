"""hledger timeclock and timedot logs imported as the owner's hours, each entry once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import HoursEntry, Stream
from evergreen.ledger.rules import check_day_hours, check_memo, check_worked_day
from evergreen.ledger.rules.timelog import TimeEntry, read_timelog
from evergreen.ledger.service.hours import hours_on, serialize_days

__all__ = ["HoursImported", "import_hours"]

_KEYS_PER_QUERY = 1000


@dataclass(frozen=True)
class HoursImported:
    """What an import added and what an earlier one had added already."""

    added: int
    already: int
    hours: Decimal


def _stream_ids(session: Session, entries: Iterable[TimeEntry]) -> dict[str, int]:
    """Each log account's stream: the same name, or the one whose name differs only in case."""
    streams = {
        name: stream_id for stream_id, name in session.execute(select(Stream.id, Stream.name))
    }
    folded: dict[str, list[str]] = {}
    for name in streams:
        folded.setdefault(name.casefold(), []).append(name)
    out: dict[str, int] = {}
    for entry in entries:
        if entry.stream in out:
            continue
        same = folded.get(entry.stream.casefold(), [])
        if entry.stream in streams:
            out[entry.stream] = streams[entry.stream]
        elif len(same) == 1:
            out[entry.stream] = streams[same[0]]
        else:
            known = ", ".join(sorted(streams)[:10]) or "none yet; add one with `streams add`"
            raise LedgerInputError(
                f"line {entry.line}: stream",
                f"there is no stream named {entry.stream[:100]!r} (streams: {known})",
            )
    return out


def import_hours(session: Session, lines: Iterable[str], format: str) -> HoursImported:
    """Read a whole log (refused whole at its first mistake), then add the entries that an
    earlier import of the same entries did not."""
    entries = read_timelog(lines, format)
    today = utcnow().date()
    for entry in entries:  # as hours added by hand
        check_worked_day(entry.date, today, f"line {entry.line}: date")
        check_memo(entry.memo, f"line {entry.line}: memo")
    ids = _stream_ids(session, entries)
    # In turn with hours added, changed or imported on the same days (as add_hours), so what is
    # read next (entries stored, the days' totals) is still so when the entries are inserted.
    serialize_days(session, [entry.date for entry in entries])
    keys = [entry.key for entry in entries]
    stored: set[str] = set()
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start : start + _KEYS_PER_QUERY]
        stored.update(
            session.scalars(select(HoursEntry.source_key).where(HoursEntry.source_key.in_(chunk)))
        )
    fresh = [entry for entry in entries if entry.key not in stored]
    adding: dict[date, Decimal] = defaultdict(Decimal)
    for entry in fresh:
        adding[entry.date] += entry.hours
    already = hours_on(session, sorted(adding))
    for day, hours in sorted(adding.items()):
        check_day_hours(day, already.get(day, Decimal(0)), hours)
    now = utcnow()
    rows = [
        {"stream_id": ids[e.stream], "date": e.date, "hours": e.hours, "memo": e.memo,
         "source": format, "source_key": e.key, "created_at": now}
        for e in fresh
    ]  # fmt: skip
    for start in range(0, len(rows), 5000):
        session.execute(insert(HoursEntry), rows[start : start + 5000])
    total = sum((e.hours for e in fresh), Decimal(0))
    return HoursImported(added=len(fresh), already=len(entries) - len(fresh), hours=total)
