"""JSON routes of the household: the month's figures, and the owner's incomes, debts, expenses
and settings. Amounts are decimal strings ("4200.00"), months YYYY-MM."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field

from evergreen.db import utcnow
from evergreen.household import queries, service
from evergreen.household.rules import (
    DebtDraft,
    ExpenseDraft,
    IncomeDraft,
    ProfileDraft,
    parse_month,
)
from evergreen.money import show_amount
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, ApiStaff, DbId, SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/household", tags=["household"])
_TEXT = Field(max_length=200)


@router.get("", operation_id="get_household")
def get_household(session: SessionDep, user: ApiStaff, month: str = "") -> dict[str, Any]:
    """The household in a month (YYYY-MM; the last full month if left out): budget, personal
    residual income, the VA test, passive income against spending and months to independence."""
    chosen = parse_month(month) if month else queries.last_full_month(utcnow().date())
    return queries.household(session, chosen).to_dict()


@router.get("/summary", operation_id="get_household_summary")
def get_summary(session: SessionDep, user: ApiStaff, month: str = "") -> dict[str, Any]:
    """The home page's household line: personal residual income, passive share, months to FI."""
    chosen = parse_month(month) if month else queries.last_full_month(utcnow().date())
    return queries.summary(session, chosen).to_dict()


class ProfileIn(RequestBody):
    """Family size and home for the VA test; the tax rate set aside on income owed later."""

    family_size: int | str = 1
    region: str = Field("", max_length=40, description="A US region or two-letter state code.")
    square_feet: str = Field("", max_length=40, description="The home's living area.")
    loan_amount: str = Field("", max_length=40, description="The home loan, for the VA band.")
    tax_rate: str = Field("0", max_length=40, description="0.25 or 25% for a quarter.")


@router.put("/profile", operation_id="save_household_profile")
def save_profile(body: ProfileIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: replace the household's settings."""
    draft = ProfileDraft.parse(
        body.family_size, body.region, body.square_feet, body.loan_amount, body.tax_rate
    )
    service.save_profile(session, draft)
    return {"saved": True}


class IncomeIn(RequestBody):
    """A monthly income, gross, and how it is taxed."""

    name: str = _TEXT
    kind: str = Field("salary", max_length=40, description="salary, freelance or other.")
    amount: str = Field(max_length=40, description="Monthly, gross, e.g. '4200.00'.")
    tax: str = Field("withheld", max_length=40, description="withheld, owed or none.")
    withheld: str = Field("", max_length=40, description="Tax withheld monthly (withheld).")

    def draft(self) -> IncomeDraft:
        """Checked by the household's rules."""
        return IncomeDraft.parse(self.name, self.kind, self.amount, self.tax, self.withheld)


def _income(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "kind": row.kind, "amount": show_amount(row.amount),
            "tax": row.tax, "withheld": show_amount(row.withheld)}  # fmt: skip


@router.post("/incomes", status_code=201, operation_id="add_household_income")
def add_income(body: IncomeIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: record a monthly income."""
    return _income(service.add_income(session, body.draft()))


@router.put("/incomes/{income_id}", operation_id="update_household_income")
def update_income(
    income_id: DbId, body: IncomeIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: change an income."""
    return _income(service.update_income(session, income_id, body.draft()))


@router.delete("/incomes/{income_id}", status_code=204, operation_id="remove_household_income")
def remove_income(income_id: DbId, session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: stop counting an income."""
    service.remove_income(session, income_id)
    return Response(status_code=204)


class DebtIn(RequestBody):
    """A debt: its monthly payment and the balance still owed."""

    name: str = _TEXT
    payment: str = Field(max_length=40, description="Monthly payment, e.g. '350.00'.")
    balance: str = Field("0", max_length=40, description="Still owed.")

    def draft(self) -> DebtDraft:
        """Checked by the household's rules."""
        return DebtDraft.parse(self.name, self.payment, self.balance)


def _debt(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "payment": show_amount(row.payment),
            "balance": show_amount(row.balance)}  # fmt: skip


@router.post("/debts", status_code=201, operation_id="add_household_debt")
def add_debt(body: DebtIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: record a debt."""
    return _debt(service.add_debt(session, body.draft()))


@router.put("/debts/{debt_id}", operation_id="update_household_debt")
def update_debt(debt_id: DbId, body: DebtIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: change a debt."""
    return _debt(service.update_debt(session, debt_id, body.draft()))


@router.delete("/debts/{debt_id}", status_code=204, operation_id="remove_household_debt")
def remove_debt(debt_id: DbId, session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: forget a debt."""
    service.remove_debt(session, debt_id)
    return Response(status_code=204)


class ExpenseIn(RequestBody):
    """A monthly living expense by category."""

    category: str = Field(max_length=40, description="housing, utilities, food, transport, "
                          "childcare, job, health, insurance or other.")  # fmt: skip
    amount: str = Field(max_length=40, description="Monthly, e.g. '1800.00'.")
    name: str = Field("", max_length=200, description="A note, e.g. 'Rent'.")

    def draft(self) -> ExpenseDraft:
        """Checked by the household's rules."""
        return ExpenseDraft.parse(self.category, self.amount, self.name)


def _expense(row: Any) -> dict[str, Any]:
    return {"id": row.id, "category": row.category, "name": row.name,
            "amount": show_amount(row.amount)}  # fmt: skip


@router.post("/expenses", status_code=201, operation_id="add_household_expense")
def add_expense(body: ExpenseIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: record a living expense."""
    return _expense(service.add_expense(session, body.draft()))


@router.put("/expenses/{expense_id}", operation_id="update_household_expense")
def update_expense(
    expense_id: DbId, body: ExpenseIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: change a living expense."""
    return _expense(service.update_expense(session, expense_id, body.draft()))


@router.delete("/expenses/{expense_id}", status_code=204, operation_id="remove_household_expense")
def remove_expense(expense_id: DbId, session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: stop counting a living expense."""
    service.remove_expense(session, expense_id)
    return Response(status_code=204)
