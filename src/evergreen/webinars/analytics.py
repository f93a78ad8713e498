"""A webinar's analytics read model: registrations, show-up rate, watch time, the drop-off
curve and offer clicks, sales and earnings, broken down by the registrations' traffic source.

Offer clicks and sales are read through the links and partners queries for the tracking links
whose campaign is "webinar-<id>" (the room's offers are such links)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.digits import is_digits
from evergreen.errors import NotFound
from evergreen.links import queries as links
from evergreen.partners import queries as partners
from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.models import Webinar, WebinarAttendance, WebinarRegistration
from evergreen.webinars.rules import iso_utc
from evergreen.webinars.rules.attendance import Status, Watch, bits_of, dropoff, status_of

__all__ = ["BY", "NONE", "Analytics", "SourceRow", "offer_campaign", "webinar_analytics"]

BY = ("channel", "utm_source", "utm_medium", "utm_campaign", "sub1", "sub2", "sub3", "subid")
NONE = "(none)"
_CENT = Decimal("0.01")


def offer_campaign(webinar_id: int) -> str:
    """The campaign of a webinar's offer links."""
    return f"webinar-{webinar_id}"


@dataclass
class SourceRow:
    """The figures of the registrations that came from one traffic source (or all of them)."""

    key: str
    registrations: int = 0
    final: int = 0  # whose session is over (outcome known)
    attended: int = 0  # attended or left early
    left_early: int = 0
    missed: int = 0
    viewers: int = 0  # watched anything, live or replay
    replay_viewers: int = 0
    watched_seconds: int = 0
    offer_clicks: int = 0  # human clicks on the offers by these registrants (sub3=r<id>)
    sales: int = 0
    earnings: dict[str, Decimal] = field(default_factory=dict)

    @property
    def show_up_rate(self) -> float | None:
        """Attended (or left early) among the registrations whose session is over."""
        return self.attended / self.final if self.final else None

    @property
    def average_watch_seconds(self) -> int | None:
        """Average time watched by those who watched anything."""
        return round(self.watched_seconds / self.viewers) if self.viewers else None

    @property
    def earnings_shown(self) -> str:
        """Earnings per currency to the cent, in one line ("—" for none)."""
        shown = ", ".join(f"{c} {a.quantize(_CENT)}" for c, a in sorted(self.earnings.items()))
        return shown or "—"

    def add(self, status: Status, watched: int, replay: bool) -> None:
        """Count one registration."""
        self.registrations += 1
        if status is not Status.REGISTERED:
            self.final += 1
            self.attended += status in (Status.ATTENDED, Status.LEFT_EARLY)
            self.left_early += status is Status.LEFT_EARLY
            self.missed += status is Status.MISSED
        if watched:
            self.viewers += 1
            self.watched_seconds += watched
            self.replay_viewers += replay

    def to_dict(self) -> dict[str, Any]:
        """JSON values (a rate as a fraction, None when there is nothing to divide)."""
        return {
            "key": self.key, "registrations": self.registrations, "final": self.final,
            "attended": self.attended, "left_early": self.left_early, "missed": self.missed,
            "viewers": self.viewers, "replay_viewers": self.replay_viewers,
            "show_up_rate": self.show_up_rate,
            "average_watch_seconds": self.average_watch_seconds,
            "offer_clicks": self.offer_clicks, "sales": self.sales,
            "earnings": {c: f"{a.quantize(_CENT)}" for c, a in self.earnings.items()},
        }  # fmt: skip


@dataclass
class Analytics:
    """Everything the analytics page and API show of one webinar."""

    webinar_id: int
    name: str
    title: str
    duration_minutes: int
    by: str
    now: datetime
    total: SourceRow
    sources: list[SourceRow]
    dropoff: list[float]
    campaign: str
    offer_links: int = 0
    offer_clicks: int = 0
    sales: int = 0
    earnings: dict[str, Decimal] = field(default_factory=dict)

    @property
    def earnings_per_registrant(self) -> dict[str, Decimal]:
        """Earnings divided by every registration, per currency."""
        count = self.total.registrations
        return {
            currency: (amount / count).quantize(_CENT, ROUND_HALF_UP)
            for currency, amount in self.earnings.items()
            if count
        }

    @property
    def earnings_shown(self) -> dict[str, str]:
        """Earnings per currency to the cent, as text."""
        return {currency: f"{amount.quantize(_CENT)}" for currency, amount in self.earnings.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON values; money as strings."""
        return {
            "webinar_id": self.webinar_id, "name": self.name, "by": self.by,
            "now": iso_utc(self.now), "total": self.total.to_dict(),
            "sources": [row.to_dict() for row in self.sources],
            "dropoff": [round(share, 4) for share in self.dropoff],
            "offers": {
                "campaign": self.campaign, "links": self.offer_links,
                "clicks": self.offer_clicks, "sales": self.sales,
                "earnings": self.earnings_shown,
                "earnings_per_registrant": {
                    c: f"{a}" for c, a in self.earnings_per_registrant.items()
                },
            },
        }  # fmt: skip


def webinar_analytics(
    session: Session, webinar_id: int, by: str = "channel", now: datetime | None = None
) -> Analytics:
    """The webinar's figures at `now`, by one traffic-source key."""
    if by not in BY:
        raise WebinarInputError("by", f"must be one of {', '.join(BY)}")
    webinar = session.get(Webinar, webinar_id)
    if webinar is None:
        raise NotFound("webinar_id", f"no webinar {webinar_id}")
    now = now or utcnow()
    duration_s = webinar.duration_minutes * 60
    rows = session.execute(
        select(
            WebinarRegistration.id, WebinarRegistration.session_start, WebinarRegistration.source,
            WebinarAttendance.watched, WebinarAttendance.live,
            WebinarAttendance.live_max_second, WebinarAttendance.watched_seconds,
            WebinarAttendance.live_seconds,
        )
        .outerjoin(WebinarAttendance, WebinarAttendance.registration_id == WebinarRegistration.id)
        .where(WebinarRegistration.webinar_id == webinar_id)
    ).all()  # fmt: skip
    total = SourceRow("all")
    sources: dict[str, SourceRow] = defaultdict(lambda: SourceRow(""))
    watched_sets: list[int] = []
    keys: dict[int, str] = {}  # registration → its source key
    for registration_id, start, source, watched, live, live_max, seconds, live_seconds in rows:
        watch = Watch(bits_of(live), -1 if live_max is None else live_max)
        status = status_of(start, duration_s, watch, now)
        replay = bool(seconds) and (seconds or 0) > (live_seconds or 0)
        key = keys[registration_id] = str((source or {}).get(by) or NONE)
        row = sources[key]
        row.key = key
        for target in (total, row):
            target.add(status, seconds or 0, replay)
        if watched:
            watched_sets.append(bits_of(watched))
    _offers_by_source(session, offer_campaign(webinar.id), keys, sources)
    result = Analytics(
        webinar_id=webinar.id, name=webinar.name, title=webinar.title or webinar.name,
        duration_minutes=webinar.duration_minutes, by=by, now=now, total=total,
        sources=sorted(sources.values(), key=lambda r: (-r.registrations, r.key)),
        dropoff=dropoff(watched_sets, duration_s), campaign=offer_campaign(webinar.id),
    )  # fmt: skip
    counts, click_ids = links.campaign_clicks(session, result.campaign)
    result.offer_links = len(counts)
    result.offer_clicks = sum(count.human for count in counts.values())
    sold = partners.sales_of_clicks(session, click_ids)
    result.sales, result.earnings = sold.sales, sold.earnings
    return result


def _offers_by_source(
    session: Session, campaign: str, keys: dict[int, str], sources: dict[str, SourceRow]
) -> None:
    """Each source's offer clicks and sales: an offer click names its registrant in sub3
    (r<registration id>), whose source is the registration's (unknown: NONE)."""
    clicks: dict[str, list[str]] = defaultdict(list)
    for click_id, sub3 in links.campaign_click_subs(session, campaign, "sub3").items():
        number = sub3[1:] if sub3.startswith("r") else ""
        key = keys.get(int(number), NONE) if is_digits(number) and len(number) < 12 else NONE
        clicks[key].append(click_id)
    for key, click_ids in clicks.items():
        row = sources[key]
        row.key = key
        sold = partners.sales_of_clicks(session, click_ids)
        row.offer_clicks, row.sales, row.earnings = len(click_ids), sold.sales, dict(sold.earnings)
