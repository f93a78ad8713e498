"""Use cases of the household; the only writer of its tables. Inputs arrive as checked drafts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import Base, serialize_on
from evergreen.errors import NotFound
from evergreen.household.models import (
    HouseholdDebt,
    HouseholdExpense,
    HouseholdIncome,
    HouseholdProfile,
)
from evergreen.household.rules import DebtDraft, ExpenseDraft, IncomeDraft, ProfileDraft
from evergreen.household.rules.limits import check_total

__all__ = [
    "add_debt",
    "add_expense",
    "add_income",
    "debts",
    "expenses",
    "get_debt",
    "get_expense",
    "get_income",
    "incomes",
    "profile",
    "remove_debt",
    "remove_expense",
    "remove_income",
    "save_profile",
    "update_debt",
    "update_expense",
    "update_income",
]

_ROW = 1
_Row = TypeVar("_Row", bound=Base)


def _lock(session: Session) -> None:
    """Take the household's write turn before reading what a change is checked against: two
    entries added at once would each pass the cap on a total that leaves out the other, and two
    first saves of the settings would each insert the one row (PostgreSQL; SQLite's writer
    already holds the write lock). Every writer below takes it first."""
    serialize_on(session, "household")


def profile(session: Session) -> HouseholdProfile:
    """The stored household (an unsaved default, a household of one, before the owner saves)."""
    return session.get(HouseholdProfile, _ROW) or HouseholdProfile(
        id=_ROW, family_size=1, tax_rate=Decimal(0)
    )


def save_profile(session: Session, draft: ProfileDraft) -> HouseholdProfile:
    """Replace the household's settings with the draft's."""
    _lock(session)  # a first save made meanwhile is found, not inserted again
    row = session.get(HouseholdProfile, _ROW)
    if row is None:
        row = HouseholdProfile(id=_ROW)
        session.add(row)
    row.family_size = draft.family_size
    row.region = draft.region
    row.square_feet = draft.square_feet
    row.loan_amount = draft.loan_amount
    row.tax_rate = draft.tax_rate
    session.flush()
    return row


def _total(session: Session, amount: Any, row_id: Any, but: int | None) -> Decimal:
    """A money column summed exactly in Decimal (SQLite would sum in floating point), leaving
    out the row being changed."""
    query = select(amount) if but is None else select(amount).where(row_id != but)
    return sum(session.scalars(query), Decimal(0))


_SPENDING = "the spending (debt payments and living expenses)"


def _check_income(session: Session, draft: IncomeDraft, but: int | None = None) -> None:
    others = _total(session, HouseholdIncome.amount, HouseholdIncome.id, but)
    check_total("amount", "the recorded incomes", others + draft.amount)


def _check_debt(session: Session, draft: DebtDraft, but: int | None = None) -> None:
    debts = _total(session, HouseholdDebt.payment, HouseholdDebt.id, but) + draft.payment
    living = _total(session, HouseholdExpense.amount, HouseholdExpense.id, None)
    check_total("payment", "the debt payments", debts)
    check_total("payment", _SPENDING, debts + living)


def _check_expense(session: Session, draft: ExpenseDraft, but: int | None = None) -> None:
    living = _total(session, HouseholdExpense.amount, HouseholdExpense.id, but) + draft.amount
    debts = _total(session, HouseholdDebt.payment, HouseholdDebt.id, None)
    check_total("amount", "the living expenses", living)
    check_total("amount", _SPENDING, debts + living)


def _get(session: Session, table: type[_Row], row_id: int, what: str) -> _Row:
    row = session.get(table, row_id)
    if row is None:
        raise NotFound(f"{what}_id", f"there is no {what} {row_id}")
    return row


def incomes(session: Session) -> list[HouseholdIncome]:
    """Every recorded income, in the order they were added."""
    return list(session.scalars(select(HouseholdIncome).order_by(HouseholdIncome.id)))


def get_income(session: Session, income_id: int) -> HouseholdIncome:
    """One income, or NotFound."""
    return _get(session, HouseholdIncome, income_id, "income")


def _fill_income(row: HouseholdIncome, draft: IncomeDraft) -> None:
    row.name, row.kind, row.amount = draft.name, draft.kind.value, draft.amount
    row.tax, row.withheld = draft.tax.value, draft.withheld


def add_income(session: Session, draft: IncomeDraft) -> HouseholdIncome:
    """Record a monthly income."""
    _lock(session)
    _check_income(session, draft)
    row = HouseholdIncome()
    _fill_income(row, draft)
    session.add(row)
    session.flush()
    return row


def update_income(session: Session, income_id: int, draft: IncomeDraft) -> HouseholdIncome:
    """Change an income to the draft's values."""
    _lock(session)
    row = get_income(session, income_id)
    _check_income(session, draft, but=income_id)
    _fill_income(row, draft)
    session.flush()
    return row


def remove_income(session: Session, income_id: int) -> None:
    """Stop counting an income."""
    _lock(session)
    session.delete(get_income(session, income_id))
    session.flush()


def debts(session: Session) -> list[HouseholdDebt]:
    """Every recorded debt."""
    return list(session.scalars(select(HouseholdDebt).order_by(HouseholdDebt.id)))


def get_debt(session: Session, debt_id: int) -> HouseholdDebt:
    """One debt, or NotFound."""
    return _get(session, HouseholdDebt, debt_id, "debt")


def add_debt(session: Session, draft: DebtDraft) -> HouseholdDebt:
    """Record a debt."""
    _lock(session)
    _check_debt(session, draft)
    row = HouseholdDebt(name=draft.name, payment=draft.payment, balance=draft.balance)
    session.add(row)
    session.flush()
    return row


def update_debt(session: Session, debt_id: int, draft: DebtDraft) -> HouseholdDebt:
    """Change a debt's payment or balance (after a payment, say)."""
    _lock(session)
    row = get_debt(session, debt_id)
    _check_debt(session, draft, but=debt_id)
    row.name, row.payment, row.balance = draft.name, draft.payment, draft.balance
    session.flush()
    return row


def remove_debt(session: Session, debt_id: int) -> None:
    """Forget a debt (paid off)."""
    _lock(session)
    session.delete(get_debt(session, debt_id))
    session.flush()


def expenses(session: Session) -> list[HouseholdExpense]:
    """Every recorded living expense."""
    return list(session.scalars(select(HouseholdExpense).order_by(HouseholdExpense.id)))


def get_expense(session: Session, expense_id: int) -> HouseholdExpense:
    """One expense, or NotFound."""
    return _get(session, HouseholdExpense, expense_id, "expense")


def add_expense(session: Session, draft: ExpenseDraft) -> HouseholdExpense:
    """Record a monthly living expense."""
    _lock(session)
    _check_expense(session, draft)
    row = HouseholdExpense(category=draft.category.value, name=draft.name, amount=draft.amount)
    session.add(row)
    session.flush()
    return row


def update_expense(session: Session, expense_id: int, draft: ExpenseDraft) -> HouseholdExpense:
    """Change an expense."""
    _lock(session)
    row = get_expense(session, expense_id)
    _check_expense(session, draft, but=expense_id)
    row.category, row.name, row.amount = draft.category.value, draft.name, draft.amount
    session.flush()
    return row


def remove_expense(session: Session, expense_id: int) -> None:
    """Stop counting an expense."""
    _lock(session)
    session.delete(get_expense(session, expense_id))
    session.flush()
