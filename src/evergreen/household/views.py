"""The household page: the month's personal residual income, the VA test and progress to
financial independence, with the forms that record incomes, debts, expenses and settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.household import queries, service
from evergreen.household.rules import (
    DebtDraft,
    ExpenseCategory,
    ExpenseDraft,
    IncomeDraft,
    IncomeKind,
    ProfileDraft,
    TaxTreatment,
    parse_month,
)
from evergreen.money import cents, show_number
from evergreen.web.charts import BarChart, bar_chart
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/household", include_in_schema=False)
Text = Annotated[str, Form()]
_DONE = {
    "profile": "Household settings saved.",
    "income": "Income added.",
    "debt": "Debt added.",
    "expense": "Expense added.",
    "removed": "Removed; the figures below no longer count it.",
}


def money(value: Decimal | float | None) -> str:
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
    months = view.history[earning[0] :]  # from the first month the streams moved money
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


def _page(
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
        "income_kinds": [kind.value for kind in IncomeKind],
        "tax_treatments": [treatment.value for treatment in TaxTreatment],
        "categories": list(ExpenseCategory),
        "errors": {},
        "forms": {},
        **extra,
    }
    return render(request, "household/household.html", context, status_code=status_code)


@router.get("")
def household_page(
    request: Request, user: DashboardUser, session: SessionDep, month: str = "", done: str = ""
) -> Response:
    """A month of the household (the last full month unless another is chosen)."""
    return _page(request, session, month, done=_DONE.get(done, ""))


def _refused(request: Request, session: Session, form: str, values: dict[str, Any]) -> Any:
    """How a refused form is shown: the page again, its values kept, the error beside it."""
    return lambda error: _page(
        request, session, status_code=400, errors={form: error}, forms={form: values}
    )


def _back(done: str) -> Response:
    return RedirectResponse(f"{router.prefix}?done={done}", status_code=303)


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
    page.on_error(_refused(request, session, "profile", values))
    draft = ProfileDraft.parse(family_size, region, square_feet, loan_amount, tax_rate)
    service.save_profile(session, draft)
    return _back("profile")


@router.post("/incomes")
def add_income(
    request: Request,
    user: OwnerUser,
    _csrf: CsrfProtected,
    session: SessionDep,
    page: FormPageDep,
    name: Text = "",
    kind: Text = "salary",
    amount: Text = "",
    tax: Text = "withheld",
    withheld: Text = "",
) -> Response:
    """Owner only: record a monthly income."""
    values = {"name": name, "kind": kind, "amount": amount, "tax": tax, "withheld": withheld}
    page.on_error(_refused(request, session, "income", values))
    service.add_income(session, IncomeDraft.parse(name, kind, amount, tax, withheld))
    return _back("income")


@router.post("/debts")
def add_debt(
    request: Request,
    user: OwnerUser,
    _csrf: CsrfProtected,
    session: SessionDep,
    page: FormPageDep,
    name: Text = "",
    payment: Text = "",
    balance: Text = "0",
) -> Response:
    """Owner only: record a debt."""
    values = {"name": name, "payment": payment, "balance": balance}
    page.on_error(_refused(request, session, "debt", values))
    service.add_debt(session, DebtDraft.parse(name, payment, balance))
    return _back("debt")


@router.post("/expenses")
def add_expense(
    request: Request,
    user: OwnerUser,
    _csrf: CsrfProtected,
    session: SessionDep,
    page: FormPageDep,
    category: Text = "",
    amount: Text = "",
    name: Text = "",
) -> Response:
    """Owner only: record a living expense."""
    values = {"category": category, "amount": amount, "name": name}
    page.on_error(_refused(request, session, "expense", values))
    service.add_expense(session, ExpenseDraft.parse(category, amount, name))
    return _back("expense")


def _confirm_removal(request: Request, confirm: str, what: str) -> Response | None:
    step = Confirmation(
        title=f"Remove {what}?",
        consequence=f"{what[0].upper()}{what[1:]} stops counting in the household's figures "
        "at once. To count it again, add it again.",
        button="Remove",
        cancel=router.prefix,
    )
    return ask_first(request, confirm, step)


@router.post("/incomes/{income_id}/remove")
def remove_income(
    request: Request,
    user: OwnerUser,
    _csrf: CsrfProtected,
    session: SessionDep,
    income_id: DbId,
    confirm: Text = "",
) -> Response:
    """Owner only, once confirmed: stop counting an income."""
    row = service.get_income(session, income_id)
    if (asked := _confirm_removal(request, confirm, f"the income “{row.name}”")) is not None:
        return asked
    service.remove_income(session, income_id)
    return _back("removed")


@router.post("/debts/{debt_id}/remove")
def remove_debt(
    request: Request,
    user: OwnerUser,
    _csrf: CsrfProtected,
    session: SessionDep,
    debt_id: DbId,
    confirm: Text = "",
) -> Response:
    """Owner only, once confirmed: forget a debt."""
    row = service.get_debt(session, debt_id)
    if (asked := _confirm_removal(request, confirm, f"the debt “{row.name}”")) is not None:
        return asked
    service.remove_debt(session, debt_id)
    return _back("removed")


@router.post("/expenses/{expense_id}/remove")
def remove_expense(
    request: Request,
    user: OwnerUser,
    _csrf: CsrfProtected,
    session: SessionDep,
    expense_id: DbId,
    confirm: Text = "",
) -> Response:
    """Owner only, once confirmed: stop counting a living expense."""
    row = service.get_expense(session, expense_id)
    label = row.name or ExpenseCategory(row.category).label.split(" (")[0].lower()
    if (asked := _confirm_removal(request, confirm, f"the expense “{label}”")) is not None:
        return asked
    service.remove_expense(session, expense_id)
    return _back("removed")
