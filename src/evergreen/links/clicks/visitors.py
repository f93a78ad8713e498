"""What the ingester remembers of recent clicks, so uniqueness and flooding need no query a click.

The memory is complete for every link it has loaded: it holds each (link, visitor)'s last click
and, for visitors clicking more than once a minute, their last few click times. The long-running
ingester keeps one across passes; it forgets everything when the clicks table changed behind its
back (another ingester) or a batch failed, and loads again from the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from evergreen.links.rules import is_flood, is_unique

__all__ = ["VisitorMemory"]

_PRUNE_AT = 500_000  # remembered (link, visitor) pairs before old ones are dropped


class VisitorMemory:
    """Recent clicks per (link, visitor), loaded per link from the clicks table."""

    def __init__(self, unique_window: float, flood_per_minute: int) -> None:
        self.window = unique_window
        self.keep = flood_per_minute
        self.span = max(unique_window, 60.0)
        self.last: dict[tuple[int, str], float] = {}
        self.recent: dict[tuple[int, str], list[float]] = {}
        self.loaded: set[int] = set()
        self.mark: int | None = None  # the highest clicks.id this memory accounts for

    def forget(self) -> None:
        """Drop everything (after a failed batch, or when others wrote clicks)."""
        self.last.clear()
        self.recent.clear()
        self.loaded.clear()
        self.mark = None

    def prepare(self, session: Session, links: Iterable[int], since: float) -> None:
        """Make sure the memory covers these links from `since` minus the window onwards."""
        if self.loaded and _highest_click(session) != self.mark:
            self.forget()
        missing = sorted(set(links) - self.loaded)
        if not missing:
            return
        connection = session.connection()
        sqlite = connection.dialect.name == "sqlite"
        horizon = since - self.span
        cutoff: Any = (
            datetime.fromtimestamp(horizon, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            if sqlite
            else datetime.fromtimestamp(horizon, UTC)
        )
        mark = "?" if sqlite else "%s"
        for start in range(0, len(missing), 900):
            chunk = missing[start : start + 900]
            marks = ", ".join([mark] * len(chunk))  # placeholders only; values are bound
            sql = (
                "SELECT link_id, visitor, at FROM clicks "  # noqa: S608
                f"WHERE link_id IN ({marks}) AND at >= {mark} ORDER BY at"
            )
            for link_id, visitor, at in connection.exec_driver_sql(sql, (*chunk, cutoff)):
                self.see((link_id, visitor), _epoch(at))
        self.loaded.update(missing)

    def see(self, key: tuple[int, str], now: float) -> tuple[bool, bool]:
        """(unique, flood) for a click now, then remember it."""
        last = self.last.get(key)
        if last is None:
            self.last[key] = now
            return True, False
        unique = is_unique(last, now, self.window)
        recent = self.recent.get(key)
        if recent is None:
            flood = is_flood((last,), now, self.keep)
            if now - last < 60.0:
                self.recent[key] = [last, now]
        else:
            flood = is_flood(recent, now, self.keep)
            recent.append(now)
            if len(recent) > 2 * self.keep:
                del recent[: -self.keep]
        if now > last:
            self.last[key] = now
        return unique, flood

    def settle(self, session: Session, newest: float) -> None:
        """After a committed batch: note how far the clicks table goes, and drop what is old."""
        self.mark = _highest_click(session)
        if len(self.last) < _PRUNE_AT:
            return
        oldest = newest - self.span
        for key in [k for k, at in self.last.items() if at < oldest]:
            del self.last[key]
            self.recent.pop(key, None)
        if len(self.last) >= _PRUNE_AT:  # a window this busy is cheaper to reload per batch
            self.forget()


def _highest_click(session: Session) -> int | None:
    value = session.connection().exec_driver_sql("SELECT max(id) FROM clicks").scalar()
    return None if value is None else int(value)


def _epoch(value: Any) -> float:
    """Epoch seconds from a driver's time value: text on SQLite, a datetime on PostgreSQL."""
    if isinstance(value, datetime):
        return value.timestamp()
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC).timestamp()
