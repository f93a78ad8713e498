"""Click statistics read from rollups (never the clicks table), and reclassification."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from evergreen.links.clicks.rollups import ClickColumns, Counts, add_rollups, tally
from evergreen.links.models import Click, ClickRollup, HumanAgent, Link
from evergreen.links.rules import ClickClass

__all__ = ["BREAKDOWNS", "LinkStats", "link_stats", "mark_agent_human", "rebuild_rollups"]

BREAKDOWNS = (
    "country", "referrer", "device", "os", "browser",
    "sub1", "sub2", "sub3", "sub4", "sub5", "utm_source", "utm_medium", "utm_campaign",
)  # fmt: skip
_TOP = 20
_RECLASSIFIABLE = [ClickClass.BOT.value, ClickClass.PREVIEW.value]


@dataclass(frozen=True)
class LinkStats:
    """Counts for one link or all links; human clicks count, the rest are shown by reason."""

    total_clicks: int
    clicks: int
    unique_clicks: int
    non_human_clicks: int
    non_human_by_class: dict[str, int]
    by_day: list[dict[str, Any]]
    breakdowns: dict[str, list[dict[str, Any]]]
    by_channel: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe values."""
        return {
            "total_clicks": self.total_clicks,
            "clicks": self.clicks,
            "unique_clicks": self.unique_clicks,
            "non_human_clicks": self.non_human_clicks,
            "non_human_by_class": self.non_human_by_class,
            "by_day": self.by_day,
            "breakdowns": self.breakdowns,
            "by_channel": self.by_channel,
        }


def _scoped(query: Any, link_id: int | None, start: date | None, end: date | None) -> Any:
    """Narrow a rollup query to one link and a day range."""
    if link_id is not None:
        query = query.where(ClickRollup.link_id == link_id)
    if start is not None:
        query = query.where(ClickRollup.day >= start)
    if end is not None:
        query = query.where(ClickRollup.day <= end)
    return query


def link_stats(
    session: Session,
    link_id: int | None = None,
    *,
    start: date | None = None,
    end: date | None = None,
) -> LinkStats:
    """Totals, daily series, non-human reasons and top values of each breakdown."""
    sums = (
        func.coalesce(func.sum(ClickRollup.total), 0),
        func.coalesce(func.sum(ClickRollup.human), 0),
        func.coalesce(func.sum(ClickRollup.unique), 0),
    )
    total, human, unique = session.execute(
        _scoped(select(*sums).where(ClickRollup.dimension == "all"), link_id, start, end)
    ).one()
    classes = session.execute(
        _scoped(
            select(ClickRollup.value, sums[0]).where(ClickRollup.dimension == "class"),
            link_id,
            start,
            end,
        ).group_by(ClickRollup.value)
    ).all()
    days = session.execute(
        _scoped(
            select(ClickRollup.day, *sums).where(ClickRollup.dimension == "all"),
            link_id,
            start,
            end,
        )
        .group_by(ClickRollup.day)
        .order_by(ClickRollup.day)
    ).all()
    rows = session.execute(
        _scoped(
            select(ClickRollup.dimension, ClickRollup.value, *sums).where(
                ClickRollup.dimension.in_(BREAKDOWNS)
            ),
            link_id,
            start,
            end,
        ).group_by(ClickRollup.dimension, ClickRollup.value)
    ).all()
    breakdowns: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for dimension, value, t, h, u in rows:
        breakdowns[dimension].append(
            {"value": value, "clicks": int(h), "unique": int(u), "total": int(t)}
        )
    for dimension in breakdowns:
        breakdowns[dimension].sort(
            key=lambda item: (-item["clicks"], -item["total"], item["value"])
        )
        del breakdowns[dimension][_TOP:]
    by_channel: list[dict[str, Any]] = []
    if link_id is None:
        channel_rows = session.execute(
            _scoped(
                select(Link.channel, *sums)
                .join(Link, Link.id == ClickRollup.link_id)
                .where(ClickRollup.dimension == "all"),
                None,
                start,
                end,
            ).group_by(Link.channel)
        ).all()
        by_channel = sorted(
            ({"value": c or "(none)", "clicks": int(h), "unique": int(u), "total": int(t)}
             for c, t, h, u in channel_rows),
            key=lambda item: -item["clicks"],
        )  # fmt: skip
    return LinkStats(
        total_clicks=int(total),
        clicks=int(human),
        unique_clicks=int(unique),
        non_human_clicks=int(total) - int(human),
        non_human_by_class={v: int(n) for v, n in classes if v != ClickClass.HUMAN.value},
        by_day=[
            {"day": d.isoformat(), "total": int(t), "clicks": int(h), "unique": int(u)}
            for d, t, h, u in days
        ],
        breakdowns=dict(breakdowns),
        by_channel=by_channel,
    )


def rebuild_rollups(session: Session, link_id: int) -> None:
    """Recompute a link's rollups from its clicks (after reclassification)."""
    session.execute(delete(ClickRollup).where(ClickRollup.link_id == link_id))
    query = (
        select(
            Click.at,
            Click.klass,
            Click.is_unique,
            Click.country,
            Click.referrer_host,
            Click.device,
            Click.os,
            Click.browser,
            Click.sub,
        )
        .where(Click.link_id == link_id)
        .execution_options(yield_per=20_000)
    )
    counts: Counts = defaultdict(lambda: [0, 0, 0])
    for part in session.execute(query).partitions():
        at, klass, unique, country, host, device, os, browser, sub = zip(*part, strict=True)
        clicks = ClickColumns(
            link_id=[link_id] * len(at), day=[moment.date() for moment in at], klass=klass,
            unique=unique, country=country, referrer_host=host, device=device, os=os,
            browser=browser, sub=[value or {} for value in sub],
        )  # fmt: skip
        tally(clicks, counts)
    add_rollups(session, counts)


def mark_agent_human(session: Session, user_agent: str) -> int:
    """Count a user agent as human, now and for its past bot/preview clicks; returns how many."""
    agent = user_agent.strip()[:512]
    if session.scalar(select(HumanAgent.id).where(HumanAgent.user_agent == agent)) is None:
        session.add(HumanAgent(user_agent=agent))
    affected = set(
        session.scalars(
            select(Click.link_id)
            .where(
                Click.user_agent == agent,
                Click.klass.in_([ClickClass.BOT.value, ClickClass.PREVIEW.value]),
            )
            .distinct()
        )
    )
    changed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Click)
        .where(
            Click.user_agent == agent,
            Click.klass.in_([ClickClass.BOT.value, ClickClass.PREVIEW.value]),
        )
        .values(klass=ClickClass.HUMAN.value, reason="marked human by the owner")
    )
    for link_id in sorted(affected):
        rebuild_rollups(session, link_id)
    return int(changed.rowcount or 0)
