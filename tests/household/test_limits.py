"""Amounts past what the finance models take: refused at save naming the field, and a household
already stored past them still shown, with a note, on the API, the pages and the CLI."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from evergreen.db import Database, utcnow
from evergreen.household import queries, service
from evergreen.household.errors import HouseholdInputError
from evergreen.household.models import HouseholdDebt, HouseholdIncome
from evergreen.household.rules import (
    Budget,
    DebtDraft,
    ExpenseDraft,
    IncomeDraft,
    ProfileDraft,
    over_limit,
    parse_money,
)
from tests.cli_helpers import evergreen, succeeded
from tests.http_helpers import sign_in, token_for

API = "/api/v1/household"
D = Decimal
LIMIT = D(10) ** 12


def _headers(db: Database, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(db, email)}"}


def _budget(gross: str = "0", debts: str = "0", living: str = "0") -> Budget:
    return Budget(D(gross), D(0), D(gross), D(0), D(debts), D(living))


def test_an_amount_past_the_models_limit_is_refused_naming_the_field() -> None:
    assert parse_money("1000000000000", "amount") == LIMIT
    with pytest.raises(HouseholdInputError) as refused:
        parse_money("1000000000000.01", "amount")
    assert refused.value.field == "amount"
    assert "at most 1,000,000,000,000" in refused.value.message
    with pytest.raises(HouseholdInputError) as loan:
        ProfileDraft.parse(1, "OH", "1200", "999999999999999", "0")
    assert loan.value.field == "loan_amount"


def test_over_limit_names_each_total_past_the_models_limit() -> None:
    assert over_limit(_budget("1000000000000", "500000000000", "500000000000")) == ()
    notes = over_limit(_budget("1000000000000.01", "600000000000", "500000000000"))
    assert [note.split(" ")[0] for note in notes] == ["Gross", "Spending"]


@pytest.mark.parametrize(
    ("first", "second", "field"),
    [
        (IncomeDraft.parse("A", "salary", "999999999999", "none"),
         IncomeDraft.parse("B", "salary", "2", "none"), "amount"),
        (DebtDraft.parse("A", "999999999999", "0"), DebtDraft.parse("B", "2", "0"), "payment"),
        (ExpenseDraft.parse("food", "999999999999"), DebtDraft.parse("B", "2", "0"), "payment"),
        (DebtDraft.parse("A", "999999999999", "0"), ExpenseDraft.parse("food", "2"), "amount"),
    ],
)  # fmt: skip
def test_a_row_that_would_take_a_total_past_the_limit_is_refused(
    db: Database, first: Any, second: Any, field: str
) -> None:
    add = {IncomeDraft: service.add_income, DebtDraft: service.add_debt,
           ExpenseDraft: service.add_expense}  # fmt: skip
    with db.session() as session:
        add[type(first)](session, first)
        with pytest.raises(HouseholdInputError) as refused:
            add[type(second)](session, second)
    assert refused.value.field == field
    assert "1,000,000,000,000" in refused.value.message


def test_changing_a_row_counts_the_others_not_itself(db: Database) -> None:
    with db.session() as session:
        row = service.add_income(session, IncomeDraft.parse("A", "salary", "1000000000000", "none"))
        service.update_income(session, row.id, IncomeDraft.parse("A", "salary", "999", "none"))
        other = service.add_income(session, IncomeDraft.parse("B", "salary", "5", "none"))
        with pytest.raises(HouseholdInputError):
            service.update_income(
                session, other.id, IncomeDraft.parse("B", "salary", "999999999002", "none")
            )


def test_the_api_refuses_an_amount_or_a_total_past_the_limit_naming_the_field(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = _headers(db, people["owner"])
    huge = {"name": "Huge", "amount": "999999999999999", "tax": "none"}
    for path, body, field in (
        ("incomes", huge, "amount"),
        ("debts", {"name": "Big", "payment": "999999999999"}, None),
        ("debts", {"name": "Car", "payment": "999999999999"}, "payment"),
        ("expenses", {"category": "food", "amount": "2"}, "amount"),
    ):
        answer = client.post(f"{API}/{path}", json=body, headers=owner)
        if field is None:
            assert answer.status_code == 201, answer.text
            continue
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["detail"][0]["field"] == field
    loan = client.put(f"{API}/profile", json={"loan_amount": "999999999999999"}, headers=owner)
    assert loan.status_code == 422
    assert loan.json()["detail"][0]["field"] == "loan_amount"
    assert client.get(API, headers=owner).json()["notes"] == []


def _store_past_the_limit(db: Database) -> None:
    """Rows as an older version accepted them: written straight to the tables."""
    with db.session() as session:
        session.add(HouseholdIncome(name="Huge", kind="salary", amount=D("999999999999999"),
                                    tax="none", withheld=D(0)))  # fmt: skip
        session.add(HouseholdDebt(name="Big", payment=D("999999999999"), balance=D(0)))
        session.add(HouseholdDebt(name="Car", payment=D("250"), balance=D(0)))
        session.flush()
        service.save_profile(session, ProfileDraft(2, "OH", D(1200), D(150000), D(0)))


def test_a_household_stored_past_the_limit_is_still_shown_over_http(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _store_past_the_limit(db)
    owner = _headers(db, people["owner"])
    shown = client.get(API, headers=owner)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["budget"]["gross_income"] == "999999999999999.00"
    assert body["personal_residual_income"] is None
    assert body["va"]["ran"] is False
    assert len(body["notes"]) == 2
    assert "1,000,000,000,000" in body["notes"][0]
    summary = client.get(f"{API}/summary", headers=owner)
    assert summary.status_code == 200, summary.text
    assert summary.json()["personal_residual_income"] is None
    sign_in(client, people["owner"])
    for path in ("/", "/household"):
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        assert "1,000,000,000,000" in page.text or path == "/"
    assert "Please check the form" not in client.get("/household").text


def test_the_cli_shows_a_household_stored_past_the_limit(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    _store_past_the_limit(db)
    month = queries.last_full_month(utcnow().date()).strftime("%Y-%m")
    done = evergreen("household", "show", "--month", month, data_dir=tmp_path,
                     database_url=database_url)  # fmt: skip
    text = succeeded(done)
    assert "999,999,999,999,999.00" in text
    assert "1,000,000,000,000" in text
    shown = json.loads(
        succeeded(
            evergreen(
                "household",
                "show",
                "--month",
                month,
                "--json",
                data_dir=tmp_path,
                database_url=database_url,
            )
        )
    )
    assert shown["personal_residual_income"] is None
    assert len(shown["notes"]) == 2
