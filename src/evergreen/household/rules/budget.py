"""A month of the household: what comes in, what tax, debts and living take, and the VA test.

Money stays Decimal here; the finance models take floats, so amounts are converted only where
they are handed to `personal_residual_income` and `evaluate_va`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from evergreen.finance.household import (
    ResidualIncome,
    VAHousehold,
    VAResult,
    evaluate_va,
    personal_residual_income,
)
from evergreen.household.rules.inputs import ExpenseCategory, IncomeKind, TaxTreatment
from evergreen.household.rules.limits import MODEL_LIMIT, SHOWN_LIMIT

__all__ = [
    "Budget",
    "DebtLine",
    "ExpenseLine",
    "Home",
    "IncomeLine",
    "StreamMonth",
    "VAOutcome",
    "budget_of",
    "distributions_of",
    "over_limit",
    "personal",
    "va_test",
]

_ZERO = Decimal(0)


@dataclass(frozen=True)
class IncomeLine:
    """A recorded monthly income (gross) and how it is taxed."""

    id: int
    name: str
    kind: IncomeKind
    amount: Decimal
    tax: TaxTreatment
    withheld: Decimal

    def tax_due(self, rate: Decimal) -> Decimal:
        """This income's monthly tax: what is withheld, or the household's rate on it."""
        if self.tax is TaxTreatment.WITHHELD:
            return self.withheld
        if self.tax is TaxTreatment.OWED:
            return self.amount * rate
        return _ZERO


@dataclass(frozen=True)
class DebtLine:
    """A debt: its monthly payment and the balance still owed."""

    id: int
    name: str
    payment: Decimal
    balance: Decimal


@dataclass(frozen=True)
class ExpenseLine:
    """A monthly living expense."""

    id: int
    category: ExpenseCategory
    name: str
    amount: Decimal


@dataclass(frozen=True)
class StreamMonth:
    """One ledger stream in one month, as the household sees it."""

    name: str
    currency: str
    income: Decimal
    costs: Decimal
    hours: Decimal
    residual_income: Decimal | None  # None while the owner's rates are not set
    passive: bool
    counted: bool  # in the household's currency (amounts in others are never added up)

    @property
    def net(self) -> Decimal:
        """Income less costs: the cash the stream made that month."""
        return self.income - self.costs


def distributions_of(streams: Iterable[StreamMonth]) -> Decimal:
    """What the streams hand the household in a month: their net income together, or nothing
    when they lost money (a loss is funded with capital, in the ledger, not from the budget)."""
    return max(_ZERO, sum((s.net for s in streams if s.counted), _ZERO))


@dataclass(frozen=True)
class Budget:
    """A month's household figures, exact."""

    incomes: Decimal  # salary, freelance and other recorded incomes, gross
    distributions: Decimal
    gross_income: Decimal
    taxes: Decimal
    debt_payments: Decimal
    living_expenses: Decimal

    @property
    def spending(self) -> Decimal:
        """What must be paid every month: living expenses and debt payments."""
        return self.living_expenses + self.debt_payments


def budget_of(
    incomes: Sequence[IncomeLine],
    distributions: Decimal,
    debts: Sequence[DebtLine],
    expenses: Sequence[ExpenseLine],
    tax_rate: Decimal,
) -> Budget:
    """Sum the month: incomes and distributions, taxes (withheld, or the rate on what is owed,
    distributions included), debt payments and living expenses."""
    recorded = sum((line.amount for line in incomes), _ZERO)
    taxes = sum((line.tax_due(tax_rate) for line in incomes), _ZERO) + distributions * tax_rate
    return Budget(
        incomes=recorded,
        distributions=distributions,
        gross_income=recorded + distributions,
        taxes=taxes,
        debt_payments=sum((debt.payment for debt in debts), _ZERO),
        living_expenses=sum((expense.amount for expense in expenses), _ZERO),
    )


def over_limit(budget: Budget, loan_amount: Decimal | None = None) -> tuple[str, ...]:
    """A note for each figure past what the finance models take. Saving refuses such rows, but
    rows stored before that check, or the streams' distributions, can still get there; then the
    models are not run and the exact budget is shown with these notes, which is honest and keeps
    the owner able to see and fix the household, where an error would lock them out."""
    figures = (
        ("Gross income", budget.gross_income),
        ("Taxes", budget.taxes),
        ("Spending (debt payments and living expenses)", budget.spending),
        ("The home loan amount", loan_amount or _ZERO),
    )
    return tuple(
        f"{label} is {amount:,.2f}, past the {SHOWN_LIMIT} a month the calculations take; "
        "residual income and the VA test are not computed until it is corrected"
        for label, amount in figures
        if amount > MODEL_LIMIT
    )


def personal(budget: Budget) -> ResidualIncome | None:
    """Personal residual income: income after taxes, debts and living expenses (finance's model);
    None when a figure is past what the model takes (see `over_limit`)."""
    if over_limit(budget):
        return None
    return personal_residual_income(
        float(budget.gross_income),
        float(budget.taxes),
        float(budget.debt_payments),
        float(budget.living_expenses),
    )


@dataclass(frozen=True)
class Home:
    """What the VA test needs besides the budget: family, region, home and loan."""

    family_size: int
    region: str | None
    square_feet: Decimal | None
    loan_amount: Decimal | None


@dataclass(frozen=True)
class VAOutcome:
    """The VA test's result, or what is missing before it can run."""

    result: VAResult | None
    household: VAHousehold | None
    missing: tuple[str, ...]


def _category(expenses: Iterable[ExpenseLine], category: ExpenseCategory) -> Decimal:
    return sum((e.amount for e in expenses if e.category is category), _ZERO)


def va_test(
    budget: Budget, home: Home, expenses: Sequence[ExpenseLine], currency: str
) -> VAOutcome:
    """The VA residual-income test on this household: housing expenses are the housing payment,
    child-care and job-related expenses count as VA counts them, debts are the other debts."""
    missing = []
    if currency != "USD":
        missing.append(f"amounts in US dollars (the ledger's currency is {currency})")
    if home.region is None:
        missing.append("the region or state")
    if not home.square_feet:
        missing.append("the home's living area in square feet")
    if home.loan_amount is None:
        missing.append("the home loan amount")
    if budget.gross_income <= 0:
        missing.append("an income")
    if over_limit(budget, home.loan_amount):
        missing.append(f"amounts that keep every total within {SHOWN_LIMIT} a month")
    if missing or home.region is None or home.square_feet is None or home.loan_amount is None:
        return VAOutcome(None, None, tuple(missing))
    household = VAHousehold(
        gross_monthly_income=float(budget.gross_income),
        housing_payment=float(_category(expenses, ExpenseCategory.HOUSING)),
        family_size=home.family_size,
        state=home.region,
        loan_amount=float(home.loan_amount),
        square_feet=float(home.square_feet),
        other_debts=float(budget.debt_payments),
        child_care=float(_category(expenses, ExpenseCategory.CHILDCARE)),
        job_expenses=float(_category(expenses, ExpenseCategory.JOB)),
        total_taxes=float(budget.taxes),
    )
    return VAOutcome(evaluate_va(household), household, ())
