"""The household line of the dashboard home: last month's personal residual income, the share of
spending passive income covers, and months to independence."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import Request
from sqlalchemy.orm import Session

from evergreen.areas import HomeSection
from evergreen.db import utcnow
from evergreen.household import queries

__all__ = ["section"]


def _last_full_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def section(request: Request, session: Session) -> HomeSection:
    """The household's figures for the last full month (the household page's default)."""
    del request
    summary = queries.summary(session, _last_full_month(utcnow().date()))
    return HomeSection("household/home_line.html", {"summary": summary})
