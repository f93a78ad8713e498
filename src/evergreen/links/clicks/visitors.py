"""What the ingester remembers of recent clicks, so uniqueness and flooding need no query a click.

The memory is complete for every link it has loaded: it holds each (link, visitor)'s last click
and, for visitors clicking more than once a minute, their last few click times. The long-running
ingester keeps one across passes; it forgets everything when the clicks table changed behind its
back (another ingester) or a batch failed, and loads again from the database. Times are whole
microseconds, as stored, so the memory and a decision read from the database agree exactly.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from evergreen.links.rules import MINUTE_US, is_flood, is_unique

__all__ = ["VisitorMemory", "micros_of"]

_PRUNE_AT = 500_000  # remembered (link, visitor) pairs before old ones are dropped


class VisitorMemory:
    """Recent clicks per (link, visitor), loaded per link from the clicks table."""

    def __init__(self, unique_window: int, flood_per_minute: int) -> None:
        self.window = unique_window
        self.keep = flood_per_minute
        self.span = max(unique_window, MINUTE_US)
        self.last: dict[tuple[int, str], int] = {}
        self.recent: dict[tuple[int, str], list[int]] = {}
        self.loaded: set[int] = set()
        # per loaded link, from when its clicks' history is complete in memory
        self.complete_from: dict[int, int] = {}
        self.mark: int | None = None  # the highest clicks.id this memory accounts for
        self.newest = 0  # the latest click time seen: an earlier click is decided elsewhere
        self.settled = 0.0  # time.monotonic() of the last committed batch

    def forget(self) -> None:
        """Drop everything (after a failed batch, or when others wrote clicks)."""
        self.last.clear()
        self.recent.clear()
        self.loaded.clear()
        self.complete_from.clear()
        self.mark = None
        self.newest = 0
        self.settled = 0.0

    def prepare(self, session: Session, links: Iterable[int], since: int) -> None:
        """Make sure the memory covers these links from `since` minus the window onwards."""
        if self.loaded and _highest_click(session) != self.mark:
            self.forget()
        missing = sorted(set(links) - self.loaded)
        if not missing:
            return
        connection = session.connection()
        sqlite = connection.dialect.name == "sqlite"
        horizon = since - self.span
        moment = _EPOCH + timedelta(microseconds=horizon)
        cutoff: Any = moment.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else moment
        mark = "?" if sqlite else "%s"
        for start in range(0, len(missing), 900):
            chunk = missing[start : start + 900]
            marks = ", ".join([mark] * len(chunk))  # placeholders only; values are bound
            sql = (
                "SELECT link_id, visitor, at FROM clicks "  # noqa: S608
                f"WHERE link_id IN ({marks}) AND at >= {mark} ORDER BY at, click_id"
            )
            for link_id, visitor, at in connection.exec_driver_sql(sql, (*chunk, cutoff)):
                self.see((link_id, visitor), micros_of(at))
        self.loaded.update(missing)
        for link_id in missing:
            self.complete_from[link_id] = since

    def knows(self, key: tuple[int, str], now: int) -> bool:
        """Whether a click now comes after everything remembered of its (link, visitor), with
        the history before it complete: otherwise it is decided from the database."""
        last = self.last.get(key)
        if last is not None and now <= last:
            return False
        return now >= self.complete_from.get(key[0], now + 1)

    def see(self, key: tuple[int, str], now: int) -> tuple[bool, bool]:
        """(unique, flood) for a click now, then remember it (clicks come in time order)."""
        if now > self.newest:
            self.newest = now
        last = self.last.get(key)
        if last is None:
            self.last[key] = now
            return True, False
        unique = is_unique(last, now, self.window)
        recent = self.recent.get(key)
        if recent is None:
            flood = is_flood((last,), now, self.keep, MINUTE_US)
            if now - last < MINUTE_US:
                self.recent[key] = [last, now]
        else:
            flood = is_flood(recent, now, self.keep, MINUTE_US)
            recent.append(now)
            if len(recent) > 2 * self.keep:
                del recent[: -self.keep]
        if now > last:
            self.last[key] = now
        return unique, flood

    def reset(self, key: tuple[int, str], times: list[int]) -> None:
        """Remember a (link, visitor)'s clicks as decided from the database (time order)."""
        if not times:
            return
        self.last[key] = times[-1]
        self.newest = max(self.newest, times[-1])
        tail = [at for at in times[-2 * self.keep :] if at > times[-1] - MINUTE_US]
        if len(tail) > 1:
            self.recent[key] = times[-2 * self.keep :]
        else:
            self.recent.pop(key, None)

    def settle(self, session: Session, newest: int) -> None:
        """After a committed batch: note how far the clicks table goes, and drop what is old."""
        self.mark = _highest_click(session)
        self.settled = time.monotonic()
        if len(self.last) < _PRUNE_AT:
            return
        oldest = newest - self.span
        for key in [k for k, at in self.last.items() if at < oldest]:
            del self.last[key]
            self.recent.pop(key, None)
        for link_id, since in self.complete_from.items():  # forgotten keys: complete from now
            self.complete_from[link_id] = max(since, newest)
        if len(self.last) >= _PRUNE_AT:  # a window this busy is cheaper to reload per batch
            self.forget()


def _highest_click(session: Session) -> int | None:
    value = session.connection().exec_driver_sql("SELECT max(id) FROM clicks").scalar()
    return None if value is None else int(value)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def micros_of(value: Any) -> int:
    """Epoch microseconds from a driver's time value: text on SQLite, a datetime on PostgreSQL."""
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int((value - _EPOCH) // _MICRO)
