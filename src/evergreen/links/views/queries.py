"""Read-only queries only the link pages need (beyond clicks.stats and links.queries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.links.models import Click, Link
from evergreen.links.rules import ClickClass

__all__ = ["SuspectAgent", "channel_names", "suspect_agents"]

_AGENT_DAYS = 30


@dataclass(frozen=True)
class SuspectAgent:
    """A user agent whose clicks were not counted as human, and how many it made."""

    user_agent: str
    klass: str
    clicks: int


def suspect_agents(session: Session, link_id: int, limit: int = 10) -> list[SuspectAgent]:
    """Recent bot and preview user agents of a link, most clicks first: candidates to mark human."""
    since = utcnow() - timedelta(days=_AGENT_DAYS)
    clicks = func.count().label("clicks")
    rows = session.execute(
        select(Click.user_agent, Click.klass, clicks)
        .where(
            Click.link_id == link_id,
            Click.at >= since,
            Click.klass.in_([ClickClass.BOT.value, ClickClass.PREVIEW.value]),
            Click.user_agent != "",
        )
        .group_by(Click.user_agent, Click.klass)
        .order_by(clicks.desc(), Click.user_agent)
        .limit(limit)
    )
    return [SuspectAgent(agent, klass, int(n)) for agent, klass, n in rows]


def channel_names(session: Session) -> list[str]:
    """Channels in use, for the list filter."""
    query = select(Link.channel).where(Link.channel != "").distinct().order_by(Link.channel)
    return list(session.scalars(query))
