"""The three kinds of household item (incomes, debts, expenses) as the forms see them: their
fields, how posted text becomes a checked draft, and the service calls that store it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from evergreen.household import service
from evergreen.household.rules import (
    DebtDraft,
    ExpenseCategory,
    ExpenseDraft,
    IncomeDraft,
    IncomeKind,
)
from evergreen.money import show_amount

__all__ = ["KINDS", "Field", "ItemKind"]

_TAX = {"withheld": "withheld at source", "owed": "owed later, at my tax rate",
        "none": "not taxed"}  # fmt: skip


@dataclass(frozen=True)
class Field:
    """One box of a form: its name (the rules' field), label, and choices for a select."""

    name: str
    label: str
    choices: tuple[tuple[str, str], ...] = ()
    money: bool = False
    hint: str = ""


@dataclass(frozen=True)
class ItemKind:
    """A kind of item: the words for it, its form and how it is read, found and stored."""

    slug: str  # in paths: /household/incomes
    one: str  # "income"
    fields: tuple[Field, ...]
    parse: Callable[[Mapping[str, str]], Any]
    get: Callable[[Session, int], Any]
    add: Callable[[Session, Any], Any]
    update: Callable[[Session, int, Any], Any]
    remove: Callable[[Session, int], None]
    values: Callable[[Any], dict[str, str]]  # a stored row as the form's text
    label: Callable[[Any], str]  # how a confirmation names a row

    @property
    def one_article(self) -> str:
        """ "an income", "a debt", "an expense"."""
        return f"{'an' if self.one[0] in 'aeiou' else 'a'} {self.one}"

    @property
    def button(self) -> str:
        """The add button's words."""
        return f"Add {self.one}"


def _text(form: Mapping[str, str], name: str, default: str = "") -> str:
    return form.get(name, default)


def _income(f: Mapping[str, str]) -> IncomeDraft:
    return IncomeDraft.parse(
        _text(f, "name"),
        _text(f, "kind", "salary"),
        _text(f, "amount"),
        _text(f, "tax", "withheld"),
        _text(f, "withheld"),
    )


def _income_values(row: Any) -> dict[str, str]:
    withheld = show_amount(row.withheld) if row.withheld else ""
    return {"name": row.name, "kind": row.kind, "amount": show_amount(row.amount),
            "tax": row.tax, "withheld": withheld}  # fmt: skip


INCOMES = ItemKind(
    slug="incomes",
    one="income",
    fields=(
        Field("name", "Income name"),
        Field("kind", "Kind", tuple((k.value, k.value) for k in IncomeKind)),
        Field("amount", "Monthly amount (gross)", money=True),
        Field("tax", "Tax", tuple(_TAX.items())),
        Field("withheld", "Tax withheld a month", money=True, hint="Only when withheld"),
    ),
    parse=_income,
    get=service.get_income,
    add=service.add_income,
    update=service.update_income,
    remove=service.remove_income,
    values=_income_values,
    label=lambda row: f"the income “{row.name}”",
)


def _debt(f: Mapping[str, str]) -> DebtDraft:
    return DebtDraft.parse(_text(f, "name"), _text(f, "payment"), _text(f, "balance") or "0")


def _debt_values(row: Any) -> dict[str, str]:
    return {"name": row.name, "payment": show_amount(row.payment),
            "balance": show_amount(row.balance)}  # fmt: skip


DEBTS = ItemKind(
    slug="debts",
    one="debt",
    fields=(
        Field("name", "Debt name"),
        Field("payment", "Monthly payment", money=True),
        Field("balance", "Balance owed", money=True),
    ),
    parse=_debt,
    get=service.get_debt,
    add=service.add_debt,
    update=service.update_debt,
    remove=service.remove_debt,
    values=_debt_values,
    label=lambda row: f"the debt “{row.name}”",
)


def _expense(f: Mapping[str, str]) -> ExpenseDraft:
    return ExpenseDraft.parse(_text(f, "category"), _text(f, "amount"), _text(f, "name"))


def _expense_values(row: Any) -> dict[str, str]:
    return {"category": row.category, "name": row.name, "amount": show_amount(row.amount)}


def _expense_label(row: Any) -> str:
    category = ExpenseCategory(row.category).label.split(" (")[0].lower()
    return f"the expense “{row.name or category}”"


EXPENSES = ItemKind(
    slug="expenses",
    one="expense",
    fields=(
        Field("category", "Category", tuple((c.value, c.label) for c in ExpenseCategory)),
        Field("name", "Note", hint="e.g. Rent"),
        Field("amount", "Monthly amount", money=True),
    ),
    parse=_expense,
    get=service.get_expense,
    add=service.add_expense,
    update=service.update_expense,
    remove=service.remove_expense,
    values=_expense_values,
    label=_expense_label,
)

KINDS: dict[str, ItemKind] = {kind.one: kind for kind in (INCOMES, DEBTS, EXPENSES)}
