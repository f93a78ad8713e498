"""Read models of the household: a month's budget, personal residual income, the VA test and
progress to independence, with the streams' part read from the ledger's report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from evergreen.finance.household import ResidualIncome
from evergreen.household import service
from evergreen.household.rules import (
    Budget,
    DebtLine,
    ExpenseCategory,
    ExpenseLine,
    Home,
    IncomeKind,
    IncomeLine,
    Independence,
    StreamMonth,
    TaxTreatment,
    VAOutcome,
    budget_of,
    distributions_of,
    independence,
    is_passive,
    over_limit,
    passive_income,
    personal,
    va_test,
)
from evergreen.ledger import queries as ledger_queries
from evergreen.ledger import service as ledger_service
from evergreen.money import cents, show_number

__all__ = [
    "TREND_MONTHS",
    "HouseholdView",
    "MonthPassive",
    "Summary",
    "household",
    "last_full_month",
    "month_end",
    "summary",
]

TREND_MONTHS = 12  # passive income of the last year tells the trend
_ZERO = Decimal(0)
_Report = Callable[[date, date], ledger_queries.Report]


def last_full_month(today: date) -> date:
    """The month before today's: the latest whole month of figures."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_end(month: date) -> date:
    """The last day of a month."""
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _months_back(month: date, count: int) -> list[date]:
    """`count` months ending with `month`, oldest first."""
    months = [month.replace(day=1)]
    while len(months) < count:
        months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
    return months


@dataclass(frozen=True)
class MonthPassive:
    """The streams' net income in a month, split into passive and active streams."""

    month: date
    passive: Decimal
    active: Decimal


@dataclass(frozen=True)
class HouseholdView:
    """Everything the household page, API and CLI show for one month."""

    month: date
    currency: str
    passive_hours: Decimal
    rates_known: bool
    home: Home
    tax_rate: Decimal  # set aside on income not taxed at source
    incomes: list[IncomeLine]
    debts: list[DebtLine]
    expenses: list[ExpenseLine]
    streams: list[StreamMonth]
    budget: Budget
    personal: ResidualIncome | None  # None when a figure is past the models' limit (notes)
    va: VAOutcome
    independence: Independence
    history: list[MonthPassive]
    notes: tuple[str, ...] = ()  # why a figure is not computed; see rules.over_limit

    @property
    def trend_months(self) -> int:
        """How many of the last months had passive income: what the trend is fitted to."""
        return sum(1 for m in self.history if m.passive > 0)

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of the API and `household show --json` (money as cent strings)."""
        return _view_dict(self)


def _money(value: Decimal | float) -> Decimal:
    exact = value if isinstance(value, Decimal) else Decimal(repr(value))
    return cents(exact) + 0


@dataclass(frozen=True)
class Summary:
    """The household line of the home page."""

    month: date
    currency: str
    recorded: bool  # the owner has entered an income or an expense
    personal_residual_income: Decimal | None  # None past the models' limit
    passive_share: Decimal | None  # passive income ÷ spending
    months_to_independence: int | None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: money and the share as strings."""
        share, residual = self.passive_share, self.personal_residual_income
        return {
            "month": self.month.strftime("%Y-%m"),
            "currency": self.currency,
            "recorded": self.recorded,
            "personal_residual_income": None if residual is None else str(residual),
            "passive_share": None if share is None else str(share.quantize(Decimal("0.0001"))),
            "months_to_independence": self.months_to_independence,
        }


def _reporter(session: Session) -> tuple[_Report, bool, str, Decimal]:
    """The ledger's report for a period at the owner's rates, whether those rates are set (the
    streams' residual income means nothing until they are), the currency and passive hours."""
    saved = ledger_service.preferences(session)
    known = saved.hourly_rate is not None and saved.required_return is not None
    rates = ledger_service.rates_for(
        session, saved.hourly_rate or _ZERO, saved.required_return or _ZERO
    )
    currency = saved.currency

    def run(start: date, end: date) -> ledger_queries.Report:
        return ledger_queries.report(session, start, end, rates, currency)

    return run, known, currency, Decimal(saved.passive_hours)


def _stream_months(
    report: ledger_queries.Report, known: bool, threshold: Decimal
) -> list[StreamMonth]:
    return [
        StreamMonth(
            name=row.name,
            currency=row.currency,
            income=row.figures.income,
            costs=row.figures.costs,
            hours=row.figures.hours,
            residual_income=row.figures.residual_income if known else None,
            passive=is_passive(row.figures.hours, threshold),
            counted=row.currency == report.currency,
        )
        for row in report.rows
    ]


def _split(month: date, streams: list[StreamMonth]) -> MonthPassive:
    counted = [s for s in streams if s.counted]
    passive = passive_income(counted)
    return MonthPassive(month, passive, sum((s.net for s in counted), _ZERO) - passive)


def _lines(session: Session) -> tuple[list[IncomeLine], list[DebtLine], list[ExpenseLine]]:
    incomes = [
        IncomeLine(row.id, row.name, IncomeKind(row.kind), row.amount, TaxTreatment(row.tax),
                   row.withheld)
        for row in service.incomes(session)
    ]  # fmt: skip
    debts = [DebtLine(r.id, r.name, r.payment, r.balance) for r in service.debts(session)]
    expenses = [
        ExpenseLine(row.id, ExpenseCategory(row.category), row.name, row.amount)
        for row in service.expenses(session)
    ]
    return incomes, debts, expenses


def household(session: Session, month: date) -> HouseholdView:
    """The household in `month`: recorded incomes plus that month's distributions from the
    streams, less taxes, debts and living costs; the VA test; and passive income against
    spending, with the months to independence at the trend of the last twelve months."""
    month = month.replace(day=1)
    report, known, currency, threshold = _reporter(session)
    history: list[MonthPassive] = []
    streams: list[StreamMonth] = []
    for each in _months_back(month, TREND_MONTHS):
        streams = _stream_months(report(each, month_end(each)), known, threshold)
        history.append(_split(each, streams))
    incomes, debts, expenses = _lines(session)
    saved = service.profile(session)
    budget = budget_of(incomes, distributions_of(streams), debts, expenses, saved.tax_rate)
    home = Home(saved.family_size, saved.region, saved.square_feet, saved.loan_amount)
    passive = history[-1].passive
    return HouseholdView(
        month=month,
        currency=currency,
        passive_hours=threshold,
        rates_known=known,
        home=home,
        tax_rate=saved.tax_rate,
        incomes=incomes,
        debts=debts,
        expenses=expenses,
        streams=streams,
        budget=budget,
        personal=personal(budget),
        va=va_test(budget, home, expenses, currency),
        independence=independence(passive, budget.spending, [m.passive for m in history]),
        history=history,
        notes=over_limit(budget, home.loan_amount),
    )


def summary(session: Session, month: date) -> Summary:
    """The home page's household line for `month`: personal residual income, the share of
    spending passive income covers, and months to independence (None: not at this trend)."""
    view = household(session, month)
    ri = view.personal
    return Summary(
        month=view.month,
        currency=view.currency,
        recorded=bool(view.incomes or view.expenses or view.debts),
        personal_residual_income=None if ri is None else _money(ri.residual),
        passive_share=view.independence.share,
        months_to_independence=view.independence.months,
    )


def _text(value: Decimal | float | None) -> str | None:
    return None if value is None else str(_money(value))


def _number(value: Decimal | None) -> str | None:
    return None if value is None else show_number(value)


def _va_dict(va: VAOutcome) -> dict[str, object]:
    if va.result is None:
        return {"ran": False, "missing": list(va.missing)}
    result = va.result
    return {
        "ran": True,
        "missing": [],
        "passes": result.passes,
        "region": result.region,
        "guideline": result.guideline,
        "residual_income": _text(result.residual_income),
        "margin": _text(result.margin),
        "taxes": _text(result.taxes),
        "maintenance_utilities": _text(result.maintenance_utilities),
        "dti_percent": result.dti_percent,
        "offset_required": result.offset_required,
        "reasons": list(result.reasons),
    }


def _view_dict(view: HouseholdView) -> dict[str, object]:
    budget, ri, fi = view.budget, view.personal, view.independence
    return {
        "month": view.month.strftime("%Y-%m"),
        "currency": view.currency,
        "profile": {
            "family_size": view.home.family_size,
            "region": view.home.region,
            "square_feet": _number(view.home.square_feet),
            "loan_amount": _text(view.home.loan_amount),
            "tax_rate": show_number(view.tax_rate),
        },
        "incomes": [
            {"id": i.id, "name": i.name, "kind": i.kind.value, "amount": _text(i.amount),
             "tax": i.tax.value, "withheld": _text(i.withheld),
             "tax_due": _text(i.tax_due(view.tax_rate))}
            for i in view.incomes
        ],
        "debts": [
            {"id": d.id, "name": d.name, "payment": _text(d.payment), "balance": _text(d.balance)}
            for d in view.debts
        ],
        "expenses": [
            {"id": e.id, "category": e.category.value, "name": e.name, "amount": _text(e.amount)}
            for e in view.expenses
        ],
        "passive_hours": show_number(view.passive_hours),
        "streams": [
            {"name": s.name, "currency": s.currency, "income": _text(s.income),
             "costs": _text(s.costs), "net": _text(s.net), "hours": show_number(s.hours),
             "residual_income": _text(s.residual_income), "passive": s.passive,
             "counted": s.counted}
            for s in view.streams
        ],
        "budget": {
            "incomes": _text(budget.incomes), "distributions": _text(budget.distributions),
            "gross_income": _text(budget.gross_income), "taxes": _text(budget.taxes),
            "debt_payments": _text(budget.debt_payments),
            "living_expenses": _text(budget.living_expenses), "spending": _text(budget.spending),
        },
        "personal_residual_income": None if ri is None else {
            "net_income": _text(ri.net_income), "residual": _text(ri.residual),
        },
        "notes": list(view.notes),
        "va": _va_dict(view.va),
        "independence": {
            "passive_income": _text(fi.passive_income), "spending": _text(fi.spending),
            "share": None if fi.share is None else str(fi.share.quantize(Decimal("0.0001"))),
            "monthly_growth": None if fi.growth is None else round(fi.growth, 6),
            "months": fi.months, "covered": fi.covered,
        },
        "history": [
            {"month": m.month.strftime("%Y-%m"), "passive": _text(m.passive),
             "active": _text(m.active)}
            for m in view.history
        ],
    }  # fmt: skip
