"""A year of a small passive-income business, reconciled to the cent against an independent
computation: every month's and the whole year's residual income per stream, and each stream's
value at the year's end."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from evergreen.db import Database
from evergreen.ledger import queries, service
from evergreen.ledger.rules import Rates, StreamKind

D = Decimal
YEAR = [date(2025, 1, 1) + timedelta(days=n) for n in range(365)]
RATES = Rates(D(45), D("0.09"))
CENT = D("0.01")


@dataclass
class Book:
    """What the test itself remembers of each stream, day by day."""

    income: dict[date, Decimal] = field(default_factory=lambda: defaultdict(D))
    costs: dict[date, Decimal] = field(default_factory=lambda: defaultdict(D))
    capital: dict[date, Decimal] = field(default_factory=lambda: defaultdict(D))
    hours: dict[date, Decimal] = field(default_factory=lambda: defaultdict(D))
    hourly_rate: Decimal = RATES.hourly_rate
    required_return: Decimal = RATES.required_return

    def figures(self, start: date, end: date) -> dict[str, Decimal]:
        """Residual income over [start, end], computed plainly from the remembered days."""
        days = [d for d in YEAR if start <= d <= end]
        income = sum((self.income[d] for d in days), D(0))
        costs = sum((self.costs[d] for d in days), D(0))
        hours = sum((self.hours[d] for d in days), D(0))
        balance = sum((v for d, v in self.capital.items() if d < start), D(0))
        day_sum = D(0)
        for d in days:
            balance += self.capital[d]
            day_sum += balance
        charge = day_sum * self.required_return / 365
        time_charge = hours * self.hourly_rate
        return {
            "income": income,
            "costs": costs,
            "hours": hours,
            "owner_time_charge": time_charge,
            "capital_charge": charge,
            "residual_income": income - costs - time_charge - charge,
        }


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP) + 0


def _month_ends() -> list[tuple[date, date]]:
    out = []
    for month in range(1, 13):
        start = date(2025, month, 1)
        end = date(2025 + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        out.append((start, end))
    return out


def test_a_year_reconciles_to_the_cent(db: Database) -> None:
    rng = random.Random(2025)
    books: dict[str, Book] = {}
    ids: dict[str, int] = {}
    with db.session() as session:
        for name, kind, own_rate in (
            ("Blog", StreamKind.AFFILIATE, None),
            ("Ebook", StreamKind.DIGITAL_PRODUCT, D(30)),
            ("Loan to Sam", StreamKind.LENDING, None),
        ):
            stream = service.add_stream(
                session,
                service.StreamDraft(name, kind, "USD", date(2025, 1, 1), hourly_rate=own_rate),
                date(2025, 1, 1),
            )
            ids[name] = stream.id
            books[name] = Book(hourly_rate=own_rate or RATES.hourly_rate)
        blog, ebook, loan = (service.get_stream(session, ids[n]) for n in books)
        service.add_capital(session, loan, date(2025, 1, 15), D(25_000))
        books["Loan to Sam"].capital[date(2025, 1, 15)] += D(25_000)
        service.add_capital(session, ebook, date(2025, 2, 1), D("1800.00"))
        books["Ebook"].capital[date(2025, 2, 1)] += D("1800.00")
        for day in YEAR:
            if rng.random() < 0.6:
                amount = D(rng.randrange(100, 20_000)) / 100
                service.add_income(session, blog, day, amount, "commissions")
                books["Blog"].income[day] += amount
            if rng.random() < 0.3:
                amount = D(rng.randrange(999, 4999)) / 100
                service.add_income(session, ebook, day, amount, "sale")
                books["Ebook"].income[day] += amount
            if day.day == 1:
                service.add_cost(session, blog, day, D("29.99"), "hosting")
                books["Blog"].costs[day] += D("29.99")
            if day.day == 15 and day >= date(2025, 2, 15):
                service.add_income(session, loan, day, D("208.33"), "interest")
                books["Loan to Sam"].income[day] += D("208.33")
            if rng.random() < 0.2:
                spent = D(rng.randrange(1, 16)) / 4
                name = rng.choice(["Blog", "Ebook"])
                service.add_hours(session, blog if name == "Blog" else ebook, day, spent)
                books[name].hours[day] += spent
            if rng.random() < 0.05:
                wrong = service.add_cost(session, blog, day, D("500.00"), "mistake")
                service.reverse(session, wrong.id, day, "entered by mistake")
            if day == date(2025, 9, 30):
                service.add_capital(session, loan, day, D(-5000))
                books["Loan to Sam"].capital[day] += D(-5000)
    periods = [*_month_ends(), (date(2025, 1, 1), date(2025, 12, 31))]
    with db.session() as session:
        for start, end in periods:
            report = queries.report(session, start, end, RATES)
            shown = {row["name"]: row for row in report.to_dict()["streams"]}  # type: ignore[union-attr]
            totals: dict[str, Decimal] = defaultdict(D)
            for name, book in books.items():
                expected = book.figures(start, end)
                for key, value in expected.items():
                    assert shown[name][key] == str(_cents(value)), (name, start, key)
                    totals[key] += value
            total = report.to_dict()["total"]
            for key, value in totals.items():
                assert total[key] == str(_cents(value)), ("total", start, key)  # type: ignore[index]
        streams = [service.get_stream(session, ids[n]) for n in books]
        history = queries.histories(session, streams, date(2025, 12, 1), 12, RATES)
        for stream in streams:
            for (month, figures), (start, end) in zip(
                history[stream.id], _month_ends(), strict=True
            ):
                assert month == start
                expected = books[stream.name].figures(start, end)
                assert figures.residual_income == expected["residual_income"]
        loan_stream = service.get_stream(session, ids["Loan to Sam"])
        valued = queries.valuation(session, loan_stream, date(2025, 12, 31), RATES, D("0.4"))
    ri = books["Loan to Sam"].figures(date(2025, 1, 1), date(2025, 12, 31))["residual_income"]
    assert valued.capital == D(20_000)
    assert valued.residual_income_ttm == ri
    assert valued.value == D(20_000) + ri / (1 + D("0.09") - D("0.4"))
