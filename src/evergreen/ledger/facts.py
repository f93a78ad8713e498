"""Non-money facts of a stream: the clicks of its links, per day or month, from the links'
rollups (never the clicks table). Clicks are not journal entries: they cost and earn nothing
by themselves, but a stream's page shows them beside its money (EPC, trend)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy.orm import Session

from evergreen.ledger.rules import check_period
from evergreen.links import queries as links_queries
from evergreen.networks import queries as networks_queries

__all__ = ["ClickCount", "stream_clicks", "stream_link_ids"]


@dataclass(frozen=True)
class ClickCount:
    """Clicks in one period (a day, or a month named by its first day)."""

    period: date
    total: int  # every request, bots included
    human: int
    unique: int  # unique human visitors of each link, summed over the links

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of an API row."""
        return {"period": self.period.isoformat(), "total": self.total, "human": self.human,
                "unique": self.unique}  # fmt: skip


def stream_link_ids(session: Session, stream_id: int) -> list[int]:
    """The links whose clicks count for a stream: those in it, and the links of its networks
    that are in no stream of their own (as for their sales)."""
    own = set(links_queries.links_in_streams(session, [stream_id]))
    through = networks_queries.links_of_streams(session, [stream_id])
    elsewhere = links_queries.link_streams(session, through)
    own.update(link_id for link_id in through if link_id not in elsewhere)
    return sorted(own)


def stream_clicks(
    session: Session,
    stream_id: int,
    start: date,
    end: date,
    by: Literal["day", "month"] = "day",
) -> list[ClickCount]:
    """A stream's clicks per day (or month) of [start, end]; periods without clicks left out."""
    check_period(start, end)
    links = stream_link_ids(session, stream_id)
    if not links:
        return []
    days = links_queries.daily_counts(session, links, start, end)
    if by == "day":
        return [ClickCount(day, c.total, c.human, c.unique) for day, c in days]
    months: dict[date, tuple[int, int, int]] = {}
    for day, counts in days:
        month = day.replace(day=1)
        total, human, unique = months.get(month, (0, 0, 0))
        months[month] = (total + counts.total, human + counts.human, unique + counts.unique)
    return [ClickCount(month, *months[month]) for month in sorted(months)]
