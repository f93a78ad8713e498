"""The household page: the month's personal residual income, the VA test and progress to
financial independence, with the household's settings form."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.household import queries, service
from evergreen.household.rules import ProfileDraft, parse_month
from evergreen.household.views.forms import KINDS
from evergreen.money import cents, show_number
from evergreen.web.charts import BarChart, bar_chart
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, OwnerUser, SessionDep
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["PREFIX", "money", "router", "show_page"]

PREFIX = "/household"
router = APIRouter(prefix=PREFIX, include_in_schema=False)
Text = Annotated[str, Form()]
_DONE = {
    "profile": "Household settings saved.",
    "income": "Income added.",
    "debt": "Debt added.",
    "expense": "Expense added.",
    "changed": "Saved; the figures below count the new amounts.",
    "removed": "Removed; the figures below no longer count it.",
}


def money(value: Decimal | float | int | None) -> str:
    """An amount as the page shows it: thousands grouped, two decimals; a dash for none."""
    if value is None:
        return "—"
    exact = value if isinstance(value, Decimal) else Decimal(repr(value))
    return f"{cents(exact) + 0:,.2f}"


def _chart(view: queries.HouseholdView) -> BarChart | None:
    """The streams' net income by month, passive and active side by side, from the first month
    they moved money."""
    earning = [i for i, m in enumerate(view.history) if m.passive or m.active]
    if not earning:
        return None
    months = view.history[earning[0] :]
    groups = [m.month.strftime("%Y-%m") for m in months]
    series = [
        ("Passive", [float(m.passive) for m in months]),
        ("Active", [float(m.active) for m in months]),
    ]
    return bar_chart(
        f"Streams' net income by month, {view.currency}: passive and active",
        groups,
        series,
        text=lambda v: f"{v:,.0f}",
    )


def show_page(
    request: Request, session: Session, month: str = "", *, status_code: int = 200, **extra: Any
) -> Response:
    """The page for a month; `extra` carries a form's posted values and its error."""
    chosen = parse_month(month) if month else queries.last_full_month(utcnow().date())
    view = queries.household(session, chosen)
    context: dict[str, Any] = {
        "title": "Household",
        "view": view,
        "chart": _chart(view),
        "money": money,
        "number": show_number,
        "kinds": KINDS,
        "errors": {},
        "posted": {},
        **extra,
    }
    return render(request, "household/household.html", context, status_code=status_code)


@router.get("")
def household_page(
    request: Request, user: DashboardUser, session: SessionDep, month: str = "", done: str = ""
) -> Response:
    """A month of the household (the last full month unless another is chosen)."""
    return show_page(request, session, month, done=_DONE.get(done, ""))


def back(done: str) -> Response:
    """To the page after a form was saved, saying what changed."""
    return RedirectResponse(f"{PREFIX}?done={done}", status_code=303)


@router.post("/profile")
def save_profile(
    request: Request,
    user: OwnerUser,
    _csrf: CsrfProtected,
    session: SessionDep,
    page: FormPageDep,
    family_size: Text = "1",
    region: Text = "",
    square_feet: Text = "",
    loan_amount: Text = "",
    tax_rate: Text = "",
) -> Response:
    """Owner only: family size and home for the VA test, and the tax rate on income owed."""
    values = {"family_size": family_size, "region": region, "square_feet": square_feet,
              "loan_amount": loan_amount, "tax_rate": tax_rate}  # fmt: skip
    page.on_error(
        lambda error: show_page(
            request, session, status_code=400, errors={"profile": error},
            posted={"profile": values},
        )
    )  # fmt: skip
    draft = ProfileDraft.parse(family_size, region, square_feet, loan_amount, tax_rate)
    service.save_profile(session, draft)
    return back("profile")
