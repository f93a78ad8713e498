"""The ledger's part of the dashboard home (the one page): every stream's residual income and
value for a period, the business total, what changed since last month, the passive share, the
timer; or, on a new installation, the owner's rates and a first stream."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.routing import iter_route_contexts
from sqlalchemy.orm import Session

from evergreen.areas import HomeSection
from evergreen.db import utcnow
from evergreen.errors import InputError
from evergreen.ledger import service
from evergreen.ledger.home import Home, home
from evergreen.ledger.rules import StreamKind
from evergreen.ledger.rules.periods import Period, PeriodChoice, choose_period
from evergreen.ledger.views.forms import OUTCOMES, hours, money
from evergreen.money import show_number
from evergreen.web.charts import Sparkline, sparkline

__all__ = ["DEMO_PATH", "section"]

DEMO_PATH = "/ledger/demo"  # the demo's button appears once a route answers here
# What a form on the home page did, by a fixed word in the address (never free text).
NOTICES = {
    "timer-started": "Timer started.",
    "timer-stopped": "Timer stopped: its time is in the stream's hours.",
    "rates-saved": "Rates saved: every figure below uses them.",
    "stream-added": "Stream added. Record its income, costs and hours on its page, or time "
    "your work on it with the timer.",
}
PROBLEMS = {
    "no-timer": "No timer was running (it may have been stopped in another tab).",
    "no-stream": "Choose a stream to time.",
}
# The demo's button comes back with `demo=loaded` or `demo=refused`.
DEMO = {
    "loaded": ("notice", "A demo year is loaded: every figure below comes from its entries."),
    "refused": ("problem", "The demo loads only into an installation that has no streams yet."),
}


def _has_route(request: Request, path: str) -> bool:
    return any(route.path == path for route in iter_route_contexts(request.app.routes))


def _here(request: Request) -> str:
    """This page's address without a form's outcome: where the home page's forms come back to."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in OUTCOMES]
    return request.url.path + (f"?{urlencode(kept)}" if kept else "")


def _elapsed(started: datetime, now: datetime) -> int:
    return max(0, int((now - started).total_seconds()))


def _clock(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _trends(figures: Home) -> dict[int, Sparkline | None]:
    months = f"{figures.trend_months[0]:%b %Y} to {figures.trend_months[-1]:%b %Y}"
    return {
        row.id: sparkline(
            [float(value) for value in row.trend],
            title=f"{row.name}: residual income by month, {months}",
            width=80,
        )
        for row in figures.rows
    }


def _timer(session: Session, now: datetime) -> dict[str, Any] | None:
    running = service.running_timer(session)
    if running is None:
        return None
    stream = service.get_stream(session, running.stream_id)
    seconds = _elapsed(running.started_at, now)
    return {
        "stream": stream,
        "memo": running.memo,
        "started_at": running.started_at,
        "seconds": seconds,
        "clock": _clock(seconds),
    }


def section(request: Request, session: Session) -> HomeSection:
    """The ledger's section of the home page for the period in the query."""
    now = utcnow()
    today = now.date()
    query = request.query_params
    prefs = service.preferences(session)
    streams = service.all_streams(session)
    user = request.state.user
    context: dict[str, Any] = {
        "owner": user is not None and user.role == "owner",
        "prefs": prefs,
        "streams": streams,
        "timer": _timer(session, now),
        "choices": list(PeriodChoice),
        "kinds": list(StreamKind),
        "demo": _has_route(request, DEMO_PATH),
        "notice": NOTICES.get(query.get("done", ""), ""),
        "problem": PROBLEMS.get(query.get("problem", ""), ""),
        "money": money,
        "hours": hours,
        "number": show_number,
        "figures": None,
        "error": None,
        "here": _here(request),
        "chosen": {key: query.get(key, "") for key in ("period", "from", "to")},
    }
    kind, words = DEMO.get(query.get("demo", ""), ("", ""))
    if kind:
        context[kind] = words
    try:  # the defaults, or every stream's own
        rates = service.rates_for(session, None, None, streams=streams)
    except InputError:
        rates = None
    context["rates_set"] = rates is not None
    status = 200
    try:
        period: Period = choose_period(
            query.get("period", ""), today, query.get("from", ""), query.get("to", "")
        )
    except InputError as refused:
        context["error"] = refused
        period, status = choose_period("", today), 400
    context["period"] = period
    if rates is not None and streams and status == 200:
        figures = home(
            session,
            period.start,
            period.end,
            today,
            rates,
            currency=prefs.currency,
            passive_hours=prefs.passive_hours,
        )
        context["figures"] = figures
        context["trends"] = _trends(figures)
    return HomeSection("ledger/home.html", context, status)
