"""The household's month on SQLite and PostgreSQL, from real ledger data posted through the
ledger's services, checked against an independent computation from the same inputs."""

from __future__ import annotations

import math
import statistics
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.errors import NotFound
from evergreen.household import queries, service
from evergreen.household.rules import DebtDraft, ExpenseDraft, IncomeDraft, ProfileDraft
from evergreen.ledger import service as ledger
from evergreen.ledger.models import Stream
from evergreen.ledger.rules import StreamKind

D = Decimal
MONTH = date(2026, 6, 1)  # June: 30 days
MONTHS = [date(2025 + (6 + i) // 12, (6 + i) % 12 + 1, 1) for i in range(12)]  # 2025-07..2026-06
BUSY_MONTH = date(2025, 12, 1)  # the blog took 6 hours: active that month
HOURLY, RETURN, CAPITAL = D(50), D("0.10"), D(2000)


def _blog_income(i: int) -> Decimal:
    return (D(400) * D("1.08") ** i).quantize(D("0.01"), ROUND_HALF_UP)


def _post_ledger(session: Session) -> None:
    """A year of a blog growing 8 % a month, consulting, a euro stream and a loss-making one."""
    today = date(2026, 7, 2)

    def stream(name: str, kind: StreamKind, currency: str = "USD") -> Stream:
        draft = ledger.StreamDraft(name, kind, currency, started_on=date(2025, 7, 1))
        return ledger.add_stream(session, draft, today)

    blog = stream("Blog", StreamKind.AFFILIATE)
    consulting = stream("Consulting", StreamKind.SERVICE)
    euro = stream("Euro books", StreamKind.ROYALTIES, "EUR")
    old = stream("Old course", StreamKind.DIGITAL_PRODUCT)
    ledger.add_capital(session, blog, date(2025, 7, 1), CAPITAL, "hosting and theme")
    for i, month in enumerate(MONTHS):
        ledger.add_income(session, blog, month.replace(day=15), _blog_income(i))
        ledger.add_cost(session, blog, month.replace(day=20), D(40))
        hours = D(6) if month == BUSY_MONTH else D(2)
        ledger.add_hours(session, blog, month.replace(day=10), hours)
        ledger.add_income(session, consulting, month.replace(day=28), D(3000))
        for day in (3, 4):
            ledger.add_hours(session, consulting, month.replace(day=day), D(15))
        ledger.add_income(session, euro, month.replace(day=1), D(500))
    ledger.add_income(session, old, MONTH.replace(day=5), D(100))
    ledger.add_cost(session, old, MONTH.replace(day=6), D(150))


def _record_household(session: Session) -> None:
    service.save_profile(session, ProfileDraft(3, "TX", D(1800), D(240000), D("0.2")))
    service.add_income(session, IncomeDraft.parse("Day job", "salary", "4000", "withheld", "700"))
    service.add_income(session, IncomeDraft.parse("Gigs", "freelance", "800", "owed"))
    service.add_income(session, IncomeDraft.parse("Gift", "other", "150", "none"))
    service.add_debt(session, DebtDraft.parse("Car", "320", "8000"))
    service.add_debt(session, DebtDraft.parse("Student loan", "180", "15000"))
    for category, amount in (("housing", "1700"), ("utilities", "220"), ("food", "650"),
                             ("childcare", "300"), ("job", "60")):  # fmt: skip
        service.add_expense(session, ExpenseDraft.parse(category, amount))


@pytest.fixture
def recorded(db: Database) -> Database:
    with db.session() as session:
        ledger.set_preferences(session, hourly_rate=HOURLY, required_return=RETURN)
        _post_ledger(session)
        _record_household(session)
    return db


def test_the_month_reconciles_with_an_independent_computation(recorded: Database) -> None:
    with recorded.session() as session:
        view = queries.household(session, date(2026, 6, 17))  # any day names its month
        summary = queries.summary(session, MONTH)

    # The streams in June, by hand.
    blog_net = _blog_income(11) - 40
    capital_charge = CAPITAL * RETURN * 30 / 365
    rows = {s.name: s for s in view.streams}
    assert rows["Blog"].net == blog_net
    assert rows["Blog"].passive
    assert rows["Blog"].residual_income == blog_net - 2 * HOURLY - capital_charge
    assert rows["Consulting"].hours == 30
    assert not rows["Consulting"].passive
    assert rows["Consulting"].residual_income == 3000 - 30 * HOURLY
    assert not rows["Euro books"].counted
    assert rows["Old course"].net == -50
    assert rows["Old course"].passive
    distributions = blog_net + 3000 - 50

    # The budget.
    taxes = 700 + D("0.2") * 800 + D("0.2") * distributions
    gross = 4000 + 800 + 150 + distributions
    living, debts = D(1700 + 220 + 650 + 300 + 60), D(320 + 180)
    budget = view.budget
    assert (budget.incomes, budget.distributions, budget.gross_income) == (4950, distributions,
                                                                           gross)  # fmt: skip
    assert (budget.taxes, budget.debt_payments, budget.living_expenses) == (taxes, debts, living)
    residual = gross - taxes - debts - living
    assert view.personal.residual == pytest.approx(float(residual), abs=1e-6)
    assert summary.personal_residual_income == residual.quantize(D("0.01"), ROUND_HALF_UP)

    # The VA test: South, a family of 3, a loan of $80,000 or more: a guideline of $889.
    va = view.va.result
    assert va is not None
    va_residual = gross - taxes - 1700 - D("0.14") * 1800 - debts - 300 - 60
    dti = ((1700 + debts + 300) * 100 / gross).quantize(D(1), ROUND_HALF_UP)
    assert va.guideline == 889
    assert va.residual_income == pytest.approx(float(va_residual), abs=1e-6)
    assert va.dti_percent == int(dti)
    assert va.passes is (va_residual >= 889 and (dti <= 41 or va_residual >= D("1.2") * 889))

    # Passive income by month: the blog (but not in its busy month) and, in June, the loss.
    passive = [D(0) if m == BUSY_MONTH else _blog_income(i) - 40 for i, m in enumerate(MONTHS)]
    passive[-1] -= 50
    assert [m.passive for m in view.history] == passive
    assert [m.month for m in view.history] == MONTHS
    active = [(_blog_income(i) - 40 if m == BUSY_MONTH else 0) + 3000 for i, m in enumerate(MONTHS)]
    assert [m.active for m in view.history] == active
    fitted = [(i, math.log(p)) for i, p in enumerate(passive) if p > 0]
    slope = statistics.linear_regression([x for x, _ in fitted], [y for _, y in fitted]).slope
    growth = math.expm1(slope)
    fi = view.independence
    assert fi.growth == pytest.approx(growth)
    spending = living + debts
    assert fi.share == passive[-1] / spending
    months = next(m for m in range(1000) if float(passive[-1]) * (1 + growth) ** m >= spending)
    assert fi.months == months
    assert summary.passive_share == fi.share
    assert summary.months_to_independence == months
    assert summary.recorded


def test_without_the_owners_rates_the_streams_count_but_show_no_residual_income(
    db: Database,
) -> None:
    with db.session() as session:
        _post_ledger(session)
        view = queries.household(session, MONTH)
    assert not view.rates_known
    assert all(s.residual_income is None for s in view.streams)
    assert view.budget.distributions == _blog_income(11) - 40 + 3000 - 50
    assert view.va.result is None
    assert "the region or state" in view.va.missing
    assert view.independence.share is None  # nothing spent: nothing to cover yet


def test_an_empty_household_is_a_household_of_one_with_nothing_recorded(db: Database) -> None:
    with db.session() as session:
        summary = queries.summary(session, MONTH)
        view = queries.household(session, MONTH)
    assert not summary.recorded
    assert summary.personal_residual_income == 0
    assert summary.passive_share is None
    assert summary.months_to_independence is None
    assert view.home.family_size == 1
    assert view.streams == []
    assert len(view.history) == queries.TREND_MONTHS


def test_items_are_added_changed_and_removed_exactly(db: Database) -> None:
    with db.session() as session:
        income = service.add_income(
            session, IncomeDraft.parse("Job", "salary", "4000.1234", "withheld", "600.5")
        )
        debt = service.add_debt(session, DebtDraft.parse("Car", "300", "9000"))
        expense = service.add_expense(session, ExpenseDraft.parse("food", "650", "Groceries"))
        ids = income.id, debt.id, expense.id
    with db.session() as session:
        (line,) = queries.household(session, MONTH).incomes
        assert (line.amount, line.withheld) == (D("4000.1234"), D("600.5"))
        service.update_income(session, ids[0], IncomeDraft.parse("Job", "salary", "4100", "none"))
        service.update_debt(session, ids[1], DebtDraft.parse("Car", "300", "8700"))
        service.update_expense(session, ids[2], ExpenseDraft.parse("food", "700"))
    with db.session() as session:
        view = queries.household(session, MONTH)
        assert view.incomes[0].amount == 4100
        assert view.incomes[0].withheld == 0
        assert view.debts[0].balance == 8700
        assert (view.expenses[0].amount, view.expenses[0].name) == (700, "")
        service.remove_income(session, ids[0])
        service.remove_debt(session, ids[1])
        service.remove_expense(session, ids[2])
    with db.session() as session:
        view = queries.household(session, MONTH)
        assert (view.incomes, view.debts, view.expenses) == ([], [], [])
        for remove, field in ((service.remove_income, "income_id"),
                              (service.remove_debt, "debt_id"),
                              (service.remove_expense, "expense_id")):  # fmt: skip
            with pytest.raises(NotFound) as missing:
                remove(session, ids[0] + 100)
            assert missing.value.field == field


def test_the_household_settings_are_saved_and_replaced(db: Database) -> None:
    with db.session() as session:
        assert service.profile(session).family_size == 1
        service.save_profile(
            session, ProfileDraft(4, "West", D("1500.5"), D(300000), D("0.123456"))
        )
    with db.session() as session:
        saved = service.profile(session)
        assert (saved.family_size, saved.region, saved.square_feet, saved.loan_amount,
                saved.tax_rate) == (4, "West", D("1500.5"), D(300000), D("0.123456"))  # fmt: skip
        service.save_profile(session, ProfileDraft())
    with db.session() as session:
        saved = service.profile(session)
        assert (saved.family_size, saved.region, saved.loan_amount) == (1, None, None)
