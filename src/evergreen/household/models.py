"""Tables of the household: its settings, incomes, debts and living expenses (monthly amounts)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, utcnow

__all__ = ["HouseholdDebt", "HouseholdExpense", "HouseholdIncome", "HouseholdProfile"]


class HouseholdProfile(Base):
    """The one household: family size and home for the VA test, the tax rate on income owed."""

    __tablename__ = "household_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_size: Mapped[int] = mapped_column(default=1)
    region: Mapped[str | None] = mapped_column(String(20), default=None)
    square_feet: Mapped[Decimal | None] = mapped_column(default=None)
    loan_amount: Mapped[Decimal | None] = mapped_column(default=None)
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(9, 6), default=Decimal(0))


class HouseholdIncome(Base):
    """A monthly income outside the ledger's streams (salary, freelance, other), gross."""

    __tablename__ = "household_incomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal]
    tax: Mapped[str] = mapped_column(String(10))  # withheld, owed or none
    withheld: Mapped[Decimal] = mapped_column(default=Decimal(0))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HouseholdDebt(Base):
    """A debt: what is paid on it each month and what is still owed."""

    __tablename__ = "household_debts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    payment: Mapped[Decimal]
    balance: Mapped[Decimal]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HouseholdExpense(Base):
    """A monthly living expense in a category."""

    __tablename__ = "household_expenses"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100), default="")
    amount: Mapped[Decimal]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
