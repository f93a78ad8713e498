"""Dashboard page of the owner's own affiliate income: networks, earnings and what to review."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from evergreen.networks import queries, service
from evergreen.siteurl import site_url
from evergreen.web.charts import BarChart, bar_chart
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, OwnerUser, SessionDep
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_BREAKDOWNS = ("link", "channel", "sub1", "network")
_LABELS = {"link": "Link", "channel": "Channel", "sub1": "Sub-ID", "network": "Network"}


def _month_chart(rows: list[dict[str, Any]]) -> BarChart | None:
    """Earnings by month, approved and pending apart, one pair of series per currency: the
    ledger (and so the dashboard) counts approved commissions only, so pending ones are never
    drawn as if earned; amounts in two currencies are never added up or drawn as one bar.
    Rows of clicks alone are left out."""
    earning = [row for row in rows if row["currency"]]
    if not earning:
        return None
    months = sorted({row["key"] for row in earning})
    currencies = sorted({row["currency"] for row in earning})
    series = []
    for currency in currencies:
        for status in ("approved", "pending"):
            amounts = {
                row["key"]: Decimal(row[status]) for row in earning if row["currency"] == currency
            }
            if any(amounts.values()):
                series.append(
                    (f"{currency} {status}", [_float(amounts.get(month)) for month in months])
                )  # a month without any is no bar, not a bar of 0
    return bar_chart(
        "Earnings by month: approved (in the ledger) and pending, per currency", months, series,
        text=lambda v: f"{v:,.2f}",
    )  # fmt: skip


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    """A report row with its money as amounts, for the page's grouped two decimals."""
    money = {name: Decimal(row[name]) for name in ("approved", "pending") if row[name]}
    epc = {"epc": Decimal(row["epc"])} if row["epc"] else {}
    return {**row, **money, **epc}


def _float(amount: Decimal | None) -> float | None:
    return float(amount) if amount else None


def _context(session: SessionDep, by: str) -> dict[str, Any]:
    breakdown = by if by in _BREAKDOWNS else "link"
    months = [row.to_dict() for row in queries.earnings(session, "month")]
    return {
        "title": "Affiliate income",
        "networks": queries.list_networks(session),
        "month_chart": _month_chart(months),
        "by": breakdown,
        "breakdowns": _BREAKDOWNS,
        "labels": _LABELS,
        "rows": [_shown(row.to_dict()) for row in queries.earnings(session, breakdown)],
        "unmatched": queries.list_earnings(session, matched=False, limit=50),
    }


@router.get("/networks")
def area_home(user: DashboardUser) -> Response:
    """The area's address in the navigation: its pages live under the income page."""
    return RedirectResponse("/partners/earnings", status_code=303)


@router.get("/partners/earnings")
def earnings_page(
    request: Request, session: SessionDep, user: DashboardUser, by: str = "link"
) -> Response:
    """Earnings by month (chart) and by link, channel, sub-ID or network, with EPC."""
    return render(request, "networks/earnings.html", _context(session, by))


@router.post("/partners/earnings/networks")
def add_network(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    page: FormPageDep,
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "network",
) -> Response:
    """Owner only: add a network and show its postback URL with the secret, this once."""
    page.on_error(
        lambda error: render(
            request,
            "networks/earnings.html",
            {**_context(session, "link"), "error": f"{error.field}: {error.message}"},
            status_code=400,
        )
    )
    network, secret = service.create_network(session, name, kind=kind)
    base = site_url(request)
    context = _context(session, "link")
    context["created"] = {
        "id": network.id,
        "name": network.name,
        "postback_url": f"{base}/api/v1/networks/{network.id}/postback?secret={secret}",
    }
    return render(request, "networks/earnings.html", context)
