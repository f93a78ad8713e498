"""The partner portal: a partner's own links, coupons, clicks, commissions, payouts and statement.

Every query is narrowed to the partner found from the signed-in user's email; no route reads a
partner, link or commission id from the request, and a payout id only opens the partner's own
part of a payout that pays them.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.links import queries as link_queries
from evergreen.partners import queries, service
from evergreen.partners.models import Partner
from evergreen.siteurl import site_url
from evergreen.web.charts import day_chart
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DbId, PageNumber, PartnerUser, SessionDep
from evergreen.web.downloads import csv_download
from evergreen.web.templates import render

__all__ = ["PAGE_SIZE", "SUB_ID", "router"]

router = APIRouter(prefix="/portal", include_in_schema=False)
PAGE_SIZE = 50
CHART_DAYS = 30
SUB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
FormStr = Annotated[str, Form()]


def _portal_partner(user: PartnerUser, session: SessionDep) -> Partner | None:
    """The active partner the signed-in partner account stands for; None when not linked yet."""
    return service.partner_for_user(session, user.email)


PortalPartner = Annotated[Partner | None, Depends(_portal_partner)]


def _unlinked(request: Request) -> Response:
    context = {"title": "Not linked yet", "nav": None}
    return render(request, "partners/portal_unlinked.html", context, status_code=403)


def _page(request: Request, name: str, nav: str, context: dict[str, Any]) -> Response:
    return render(request, f"partners/{name}.html", {"nav": nav, **context})


@router.get("")
def overview(request: Request, session: SessionDep, partner: PortalPartner) -> Response:
    """Totals: clicks, conversions, commissions by status, unpaid balance, clicks by day."""
    if partner is None:
        return _unlinked(request)
    # The counts include every click already answered.
    link_queries.include_answered(request.app.state.links)
    links = queries.partner_links(session, partner)
    today = utcnow().date()
    since = today - timedelta(days=CHART_DAYS - 1)
    by_day = link_queries.clicks_by_day(session, [link.id for link, _c in links], since)
    # Only human clicks are drawn: bots and previews are the owner's concern, not the partner's.
    human_only = [{**row, "total": row["clicks"]} for row in by_day]
    sums = queries.commission_sums(session, partner)
    unpaid: dict[str, Decimal] = defaultdict(Decimal)
    for row in sums:
        if row.status in queries.UNPAID:
            unpaid[row.currency] += row.amount
    context: dict[str, Any] = {
        "title": "Overview",
        "partner": partner,
        "links": links,
        "human": sum(counts.human for _link, counts in links),
        "unique": sum(counts.unique for _link, counts in links),
        "conversions": queries.conversion_count(session, partner),
        "sums": sums,
        "coupons": queries.coupons_of(session, partner.id),
        "unpaid": dict(sorted(unpaid.items())),
        "chart": day_chart(human_only, days=CHART_DAYS, today=today),
    }
    return _page(request, "portal_overview", "overview", context)


def _links_page(
    request: Request,
    session: Session,
    partner: Partner,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    link_queries.include_answered(request.app.state.links)
    links = queries.partner_links(session, partner)
    context: dict[str, Any] = {
        "title": "Your links",
        "nav": "links",
        "links": links,
        "short_urls": {
            link.id: link_queries.short_url(
                request.app.state.settings, site_url(request), link.slug
            )
            for link, _c in links
        },
        "coupons": queries.coupons_of(session, partner.id),
        "chosen": "",
        "sub1": "",
        **(extra or {}),
    }
    return render(request, "partners/portal_links.html", context, status_code=status_code)


@router.get("/links")
def links_page(request: Request, session: SessionDep, partner: PortalPartner) -> Response:
    """The partner's links with their clicks, and the sub-ID link form."""
    if partner is None:
        return _unlinked(request)
    return _links_page(request, session, partner)


@router.post("/links")
def sub_id_link(
    request: Request,
    session: SessionDep,
    partner: PortalPartner,
    _csrf: CsrfProtected,
    slug: FormStr = "",
    sub1: FormStr = "",
) -> Response:
    """A partner's link with ?sub1=<value> appended; nothing is stored."""
    if partner is None:
        return _unlinked(request)
    mine = {link.slug: link for link, _c in queries.partner_links(session, partner)}
    link = mine.get(slug.strip().lower())
    if link is None:
        # The slug is not echoed: it may be another partner's, and this page says nothing of it.
        error = "Choose one of your links from the list."
        return _links_page(request, session, partner, {"error": error}, 400)
    value = sub1.strip()
    if not SUB_ID.fullmatch(value):
        error = "The sub-ID must be 1 to 64 letters, digits, '-' or '_' (for example youtube)."
        return _links_page(request, session, partner, {"error": error, "chosen": link.slug}, 400)
    url = (
        link_queries.short_url(request.app.state.settings, site_url(request), link.slug)
        + "?"
        + urlencode({"sub1": value})
    )
    extra = {"sub_url": url, "chosen": link.slug, "sub1": value}
    return _links_page(request, session, partner, extra)


@router.get("/commissions")
def commissions_page(
    request: Request,
    session: SessionDep,
    partner: PortalPartner,
    page: PageNumber = 1,
) -> Response:
    """The partner's commissions, newest first, with the rule that earned each and why one
    is held, rejected, reversed or still waiting."""
    if partner is None:
        return _unlinked(request)
    rows, total = queries.commission_page(
        session, partner, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    pages = max(1, math.ceil(total / PAGE_SIZE))
    program = service.program_of(session, partner)
    context: dict[str, Any] = {
        "title": "Commissions",
        "commissions": rows,
        "notes": queries.status_notes(session, program, rows, utcnow()),
        "total": total,
        "page": page,
        "pages": pages,
        "previous_url": f"/portal/commissions?page={page - 1}" if page > 1 else None,
        "next_url": f"/portal/commissions?page={page + 1}" if page < pages else None,
    }
    return _page(request, "portal_commissions", "commissions", context)


@router.get("/payouts")
def payouts_page(request: Request, session: SessionDep, partner: PortalPartner) -> Response:
    """The partner's lines in each payout, and whether it was paid."""
    if partner is None:
        return _unlinked(request)
    context = {"title": "Payouts", "rows": queries.payout_rows(session, partner)}
    return _page(request, "portal_payouts", "payouts", context)


@router.get("/payouts/{payout_id:int}")
def payout_page(
    request: Request, payout_id: DbId, session: SessionDep, partner: PortalPartner
) -> Response:
    """The partner's own part of one payout: amount, method, reference and its commissions."""
    if partner is None:
        return _unlinked(request)
    detail = service.partner_payout(session, partner, payout_id)  # not theirs: 404
    context = {"title": f"Payout #{payout_id}", "detail": detail}
    return _page(request, "portal_payout", "payouts", context)


@router.get("/statement.csv")
def statement_csv(request: Request, session: SessionDep, partner: PortalPartner) -> Response:
    """The partner's own statement: every commission of theirs as CSV."""
    if partner is None:
        return _unlinked(request)
    program = service.program_of(session, partner)
    return csv_download(
        "statement.csv", lambda out: service.statement(session, program, partner.id, out)
    )
