"""What other areas and pages may read of links: click facts, links by id, click counts.

Other areas use this module and `links.service` only; the tables behind them stay private.
Click facts include clicks answered but not yet ingested when given this machine's spool
(`SpooledClicks.of(settings)`), so a sale reported right after its click is attributed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.config import Settings
from evergreen.links import rules
from evergreen.links.models import Click, ClickRollup, Link

if TYPE_CHECKING:
    from evergreen.links.clicks.answered import SpooledClick

__all__ = [
    "ClickFact",
    "ClicksAfter",
    "Counts",
    "LinkLabel",
    "RollupRow",
    "SpooledClicks",
    "TrackedClick",
    "campaign_click_subs",
    "campaign_clicks",
    "click_fact",
    "click_facts",
    "click_tracking",
    "clicks_after",
    "clicks_by_day",
    "counts_by_link",
    "daily_counts",
    "human_clicks_by_link",
    "include_answered",
    "link_ids_by_slug",
    "link_labels",
    "link_streams",
    "links_by_ids",
    "links_in_streams",
    "rollup_rows",
    "short_url",
]

_CHUNK = 500  # ids per IN (...) list: well under every database's parameter limit


@dataclass(frozen=True, slots=True)
class ClickFact:
    """One stored click as attribution sees it."""

    click_id: str
    link_id: int
    at: datetime
    visitor: str
    klass: str


@dataclass(frozen=True, slots=True)
class LinkLabel:
    """How a link is named in reports."""

    slug: str
    channel: str


@dataclass(frozen=True, slots=True)
class RollupRow:
    """Human clicks of one link on one day for one value of a dimension (sub1, utm_source…)."""

    link_id: int
    day: date
    value: str
    human: int


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    iterator = iter(values)
    while chunk := list(islice(iterator, _CHUNK)):
        yield chunk


@dataclass(frozen=True)
class Counts:
    """One link's clicks from its rollups: all requests, human clicks, unique human clicks."""

    total: int = 0
    human: int = 0
    unique: int = 0


def counts_by_link(session: Session, link_ids: Sequence[int]) -> dict[int, Counts]:
    """Click counts of the given links, one grouped query over the "all" rollup rows."""
    if not link_ids:
        return {}
    rows = session.execute(
        select(
            ClickRollup.link_id,
            func.sum(ClickRollup.total),
            func.sum(ClickRollup.human),
            func.sum(ClickRollup.unique),
        )
        .where(ClickRollup.dimension == "all", ClickRollup.link_id.in_(link_ids))
        .group_by(ClickRollup.link_id)
    )
    return {link_id: Counts(int(t), int(h), int(u)) for link_id, t, h, u in rows}


@dataclass(frozen=True, slots=True)
class SpooledClicks:
    """This machine's spool: clicks already answered that ingestion has not stored yet."""

    folder: Path

    @classmethod
    def of(cls, settings: Settings) -> SpooledClicks:
        """The spool the redirects of these settings write to."""
        from evergreen.links.clicks.ingest import spool_folder

        return cls(spool_folder(settings))


def _stored_facts(session: Session, click_ids: Iterable[str]) -> dict[str, ClickFact]:
    found: dict[str, ClickFact] = {}
    query = select(Click.click_id, Click.link_id, Click.at, Click.visitor, Click.klass)
    for chunk in _chunks(dict.fromkeys(click_ids)):
        for click_id, link_id, at, visitor, klass in session.execute(
            query.where(Click.click_id.in_(chunk))
        ):
            found[click_id] = ClickFact(click_id, link_id, at, visitor, klass)
    return found


def _fact(click: SpooledClick) -> ClickFact:
    return ClickFact(click.click_id, click.link_id, click.at, click.visitor, click.klass)


def click_facts(
    session: Session, click_ids: Iterable[str], spooled: SpooledClicks | None = None
) -> dict[str, ClickFact]:
    """The clicks behind these click IDs (missing ones are simply absent): stored ones, then,
    given the spool, those answered but not ingested yet."""
    wanted = list(dict.fromkeys(click_ids))
    found = _stored_facts(session, wanted)
    missing = [click_id for click_id in wanted if click_id not in found]
    if spooled is None or not missing:
        return found
    from evergreen.links.clicks.answered import spooled_clicks  # the classifier loads on use

    waiting = spooled_clicks(session, spooled.folder, missing)
    found.update((click_id, _fact(click)) for click_id, click in waiting.items())
    # One that left the spool between the two reads was stored before it was removed.
    found.update(_stored_facts(session, [i for i in missing if i not in waiting]))
    return found


def click_fact(
    session: Session, click_id: str, spooled: SpooledClicks | None = None
) -> ClickFact | None:
    """One click by its ID (stored, or still in the given spool), or None."""
    return click_facts(session, [click_id], spooled).get(click_id)


def click_tracking(
    session: Session, click_id: str, spooled: SpooledClicks | None = None
) -> dict[str, str]:
    """The sub-IDs and UTM values one click carried (empty when there is no such click)."""
    sub = session.scalar(select(Click.sub).where(Click.click_id == click_id))
    if sub is None and spooled is not None:
        from evergreen.links.clicks.answered import spooled_clicks

        waiting = spooled_clicks(session, spooled.folder, [click_id]).get(click_id)
        return dict(waiting.sub) if waiting is not None else {}
    return dict(sub or {})


def links_by_ids(session: Session, link_ids: Iterable[int]) -> list[Link]:
    """The links with these ids, by slug (read-only rows for pages)."""
    rows: list[Link] = []
    for chunk in _chunks(set(link_ids)):
        rows.extend(session.scalars(select(Link).where(Link.id.in_(chunk))))
    return sorted(rows, key=lambda link: link.slug)


def link_ids_by_slug(session: Session, slugs: Iterable[str]) -> dict[str, int]:
    """The ids of the links with these slugs (the ones that exist)."""
    found: dict[str, int] = {}
    for chunk in _chunks(set(slugs)):
        found.update(session.execute(select(Link.slug, Link.id).where(Link.slug.in_(chunk))).all())
    return found


def link_labels(session: Session, link_ids: Iterable[int]) -> dict[int, LinkLabel]:
    """Slug and channel of each link, for reports grouped by link or channel."""
    labels: dict[int, LinkLabel] = {}
    for chunk in _chunks(set(link_ids)):
        for link_id, slug, channel in session.execute(
            select(Link.id, Link.slug, Link.channel).where(Link.id.in_(chunk))
        ):
            labels[link_id] = LinkLabel(slug, channel or "")
    return labels


def human_clicks_by_link(session: Session, link_ids: Sequence[int]) -> dict[int, int]:
    """Human clicks of each link, all time."""
    return {link_id: counts.human for link_id, counts in counts_by_link(session, link_ids).items()}


def clicks_by_day(session: Session, link_ids: Sequence[int], since: date) -> list[dict[str, Any]]:
    """Daily clicks of the given links together since a day, in the shape charts read."""
    if not link_ids:
        return []
    rows = session.execute(
        select(ClickRollup.day, func.sum(ClickRollup.total), func.sum(ClickRollup.human))
        .where(
            ClickRollup.dimension == "all",
            ClickRollup.link_id.in_(link_ids),
            ClickRollup.day >= since,
        )
        .group_by(ClickRollup.day)
    )
    return [{"day": d.isoformat(), "total": int(t), "clicks": int(h)} for d, t, h in rows]


def rollup_rows(
    session: Session,
    link_ids: Sequence[int],
    dimension: str,
    start: date | None = None,
    end: date | None = None,
) -> list[RollupRow]:
    """Human clicks per link, day and value of one dimension ("all" for plain totals)."""
    if not link_ids:
        return []
    query = (
        select(ClickRollup.link_id, ClickRollup.day, ClickRollup.value, func.sum(ClickRollup.human))
        .where(ClickRollup.dimension == dimension, ClickRollup.link_id.in_(link_ids))
        .group_by(ClickRollup.link_id, ClickRollup.day, ClickRollup.value)
    )
    if start is not None:
        query = query.where(ClickRollup.day >= start)
    if end is not None:
        query = query.where(ClickRollup.day <= end)
    return [
        RollupRow(link_id, day, value or "", int(human or 0))
        for link_id, day, value, human in session.execute(query)
    ]


def link_streams(session: Session, link_ids: Iterable[int]) -> dict[int, int]:
    """The income stream of each of these links that has one."""
    streams: dict[int, int] = {}
    for chunk in _chunks(set(link_ids)):
        for link_id, stream_id in session.execute(
            select(Link.id, Link.stream_id).where(Link.id.in_(chunk), Link.stream_id.is_not(None))
        ):
            if stream_id is not None:
                streams[link_id] = stream_id
    return streams


def links_in_streams(session: Session, stream_ids: Sequence[int]) -> list[int]:
    """The ids of the links that belong to any of these streams."""
    if not stream_ids:
        return []
    return list(session.scalars(select(Link.id).where(Link.stream_id.in_(stream_ids))))


def daily_counts(
    session: Session, link_ids: Sequence[int], start: date, end: date
) -> list[tuple[date, Counts]]:
    """Clicks of these links together per day of [start, end], from the "all" rollups."""
    totals: dict[date, tuple[int, int, int]] = {}
    for chunk in _chunks(link_ids):
        rows = session.execute(
            select(
                ClickRollup.day,
                func.sum(ClickRollup.total),
                func.sum(ClickRollup.human),
                func.sum(ClickRollup.unique),
            )
            .where(
                ClickRollup.dimension == "all",
                ClickRollup.link_id.in_(chunk),
                ClickRollup.day.between(start, end),
            )
            .group_by(ClickRollup.day)
        )
        for day, total, human, unique in rows:
            t, h, u = totals.get(day, (0, 0, 0))
            totals[day] = (t + int(total or 0), h + int(human or 0), u + int(unique or 0))
    return [(day, Counts(*totals[day])) for day in sorted(totals)]


def short_url(settings: Settings, site: str, slug: str) -> str:
    """The address people share for a link (the same as the API's short_url); `site` is the
    base URL from evergreen.siteurl."""
    return rules.short_url(site, settings.link_prefix, settings.link_domain, slug)


def include_answered(runtime: Any) -> None:
    """Ingest clicks already answered but still spooled, so the figures read next are exact.

    `runtime` is the links runtime the app keeps on `app.state.links`.
    """
    runtime.ingest_spooled()


def campaign_clicks(session: Session, campaign: str) -> tuple[dict[int, Counts], list[str]]:
    """The links of a campaign (webinar offers: "webinar-<id>") with their click counts, and
    the IDs of their human clicks (what conversions are attributed by)."""
    link_ids = list(session.scalars(select(Link.id).where(Link.campaign == campaign)))
    counts = counts_by_link(session, link_ids)
    click_ids: list[str] = []
    for chunk in _chunks(link_ids):
        click_ids.extend(
            session.scalars(
                select(Click.click_id).where(
                    Click.link_id.in_(chunk), Click.klass == rules.ClickClass.HUMAN.value
                )
            )
        )
    return {link_id: counts.get(link_id, Counts()) for link_id in link_ids}, click_ids


def campaign_click_subs(session: Session, campaign: str, key: str) -> dict[str, str]:
    """The human clicks of a campaign's links: click ID → that click's sub-ID `key` ("" when
    it has none), e.g. the registration a webinar's offer link names in sub3."""
    link_ids = list(session.scalars(select(Link.id).where(Link.campaign == campaign)))
    found: dict[str, str] = {}
    for chunk in _chunks(link_ids):
        for click_id, sub in session.execute(
            select(Click.click_id, Click.sub).where(
                Click.link_id.in_(chunk), Click.klass == rules.ClickClass.HUMAN.value
            )
        ):
            found[click_id] = str((sub or {}).get(key) or "")
    return found


@dataclass(frozen=True, slots=True)
class TrackedClick:
    """A stored click that carried a sub2 (a mail recipient's token), as activity needs it."""

    row: int
    slug: str
    at: datetime
    sub1: str
    sub2: str
    human: bool


@dataclass(frozen=True, slots=True)
class ClicksAfter:
    """The clicks with a sub2 among those read, and the last row read (where the next read
    starts), so a reader that skips the rest still moves on."""

    clicks: list[TrackedClick]
    through: int
    read: int


def clicks_after(session: Session, after_row: int, limit: int) -> ClicksAfter:
    """Among the next `limit` stored clicks after row `after_row` in row order (a range of the
    primary key, whatever share of clicks came from mail), those that carried a sub2; human
    is what the stats count (not a bot, preview, prefetch, HEAD, team or flood click).

    The range is measured on the primary key and the clicks without a sub2 are left in the
    database: a busy site's clicks are nearly all of that kind, and reading each into Python
    held a web process's GIL for seconds a minute (benchmarks/redirect.py's slow rounds)."""
    window = (
        select(Click.id).where(Click.id > after_row).order_by(Click.id).limit(max(limit, 1))
    ).subquery()
    last, read = session.execute(select(func.max(window.c.id), func.count())).one()
    if not read:
        return ClicksAfter([], after_row, 0)
    rows = session.execute(
        select(Click.id, Link.slug, Click.at, Click.sub, Click.klass)
        .join(Link, Link.id == Click.link_id)
        .where(
            Click.id > after_row,
            Click.id <= last,
            Click.sub["sub2"].as_string().is_not(None),
        )
        .order_by(Click.id)
    ).all()
    clicks: list[TrackedClick] = []
    for row, slug, at, sub, klass in rows:
        values = sub if isinstance(sub, dict) else {}
        sub2 = values.get("sub2")
        if isinstance(sub2, str) and sub2:
            sub1 = values.get("sub1")
            sub1 = sub1 if isinstance(sub1, str) else ""
            human = klass == rules.ClickClass.HUMAN.value
            clicks.append(TrackedClick(row, slug, at, sub1, sub2, human))
    return ClicksAfter(clicks, int(last), int(read))
