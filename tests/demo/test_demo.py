"""`evergreen demo` loads a living year through the real services, once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.demo import service
from evergreen.demo.rules import plan
from evergreen.demo.service import STREAMS
from evergreen.errors import Conflict
from evergreen.ledger import queries
from evergreen.ledger import service as ledger_service
from evergreen.ledger.rules import Rates
from evergreen.lending import service as lending
from evergreen.links.models import Click
from evergreen.networks.models import NetworkEarning
from tests.http_helpers import csrf_from, sign_in, token_for

TODAY = date(2026, 12, 3)


def test_the_plan_is_a_repeatable_year_ending_today() -> None:
    year = plan(TODAY)
    assert year == plan(TODAY)
    assert year.first_day == TODAY - timedelta(days=364)
    assert all(year.first_day <= c.at.date() <= TODAY for c in year.clicks)
    assert {e.status for e in year.earnings} == {"pending", "approved", "reversed"}
    assert len(year.royalties) >= 12


def test_the_demo_loads_through_the_services_and_only_once(
    db: Database, settings: Settings
) -> None:
    loaded = service.load_demo(db, settings, TODAY)
    year = plan(TODAY)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Click)) == len(year.clicks)
        earnings = session.scalars(select(NetworkEarning)).all()
        assert len(earnings) == len(year.earnings) == loaded.earnings
        assert all(e.link_id is not None for e in earnings)  # every sale matched its click
        report = queries.report(session, year.first_day, TODAY, Rates(Decimal(40), Decimal("0.08")))
    rows = {row.name: row.figures for row in report.rows}
    # Network commissions post themselves: approved ones count, pending and reversed do not.
    approved = [e.commission for e in year.earnings if e.status == "approved"]
    assert rows["Blog"].income == sum(approved, Decimal(0))
    # The program's commissions are its stream's cost once approved (30 % of each sale, after
    # the 30-day hold), with the software it pays for each month.
    noon = datetime.combine(TODAY, time(12), tzinfo=UTC)
    held = [s for s in year.sales if s.at + timedelta(days=30) <= noon]
    software = sum((a for n, _d, a, _w in year.costs if n == "Photo course"), Decimal(0))
    assert rows["Photo course"].costs == software + len(held) * Decimal("59.10")
    assert rows["Photo course"].income == len(year.sales) * Decimal("197.00")
    assert rows["Book royalties"].income == sum(amount for _d, amount in year.royalties)
    # Sam's loan is serviced by lending, which posts it to a stream of its own: its income is
    # the interest paid, its capital what is lent out (5,000 of the 20,000 came back).
    assert rows["Loan 1 (Sam)"].capital_charge > 0
    assert rows["Loan 1 (Sam)"].hours > 0
    with db.session() as session:
        (loan,) = lending.loans(session)
        assert (loan.status, loan.balance) == ("open", Decimal(15_000))
        paid = lending.quote(session, loan.id, TODAY)
    assert paid.principal == Decimal(15_000)
    assert rows["Loan 1 (Sam)"].income > 0
    assert rows["Blog"].hours > 0
    with db.session() as session:
        rates = ledger_service.rates_for(session, None, None)
    assert (rates.hourly_rate, rates.required_return) == (Decimal(40), Decimal("0.08"))
    with pytest.raises(Conflict):
        service.load_demo(db, settings, TODAY)


def test_the_button_loads_the_demo_after_answering(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    sign_in(client, people["owner"])
    token = csrf_from(client.get("/").text)
    first = client.post("/ledger/demo", data={"csrf_token": token}, follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/?demo=loading"
    headers = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    listed = client.get("/api/v1/ledger/streams", headers=headers)
    names = sorted([*(name for name, _kind in STREAMS), "Loan 1 (Sam)"])
    assert sorted(s["name"] for s in listed.json()) == names
    again = client.post("/ledger/demo", data={"csrf_token": token}, follow_redirects=False)
    assert again.headers["location"] == "/?demo=refused"
