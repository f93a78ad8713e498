"""The household over HTTP: the JSON API and the page, each role as it is declared."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from evergreen.db import Database, utcnow
from evergreen.household import queries
from evergreen.ledger import service as ledger
from evergreen.ledger.rules import StreamKind
from tests.http_helpers import csrf_from, sign_in, token_for

API = "/api/v1/household"


def _last_month() -> date:
    return queries.last_full_month(utcnow().date())


def _blog_earned(db: Database, amount: str, hours: str) -> None:
    """A stream that earned `amount` last month for `hours` of work, through the ledger."""
    month = _last_month()
    with db.session() as session:
        draft = ledger.StreamDraft("Blog", StreamKind.AFFILIATE, started_on=month)
        blog = ledger.add_stream(session, draft, utcnow().date())
        ledger.add_income(session, blog, month.replace(day=12), Decimal(amount))
        ledger.add_hours(session, blog, month.replace(day=3), Decimal(hours))


def _headers(db: Database, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(db, email)}"}


def _record(client: TestClient, owner: dict[str, str]) -> None:
    profile = {"family_size": 2, "region": "OH", "square_feet": "1200", "loan_amount": "150000",
               "tax_rate": "20%"}  # fmt: skip
    assert client.put(f"{API}/profile", json=profile, headers=owner).json() == {"saved": True}
    for path, body in (
        ("incomes", {"name": "Day job", "kind": "salary", "amount": "3500", "tax": "withheld",
                     "withheld": "500"}),
        ("debts", {"name": "Car", "payment": "250", "balance": "6000"}),
        ("expenses", {"category": "housing", "amount": "1200", "name": "Rent"}),
        ("expenses", {"category": "food", "amount": "500"}),
    ):  # fmt: skip
        answer = client.post(f"{API}/{path}", json=body, headers=owner)
        assert answer.status_code == 201, answer.text


def test_the_api_records_a_household_and_reports_its_month(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = _headers(db, people["owner"])
    _blog_earned(db, "850.00", "1.5")
    _record(client, owner)
    shown: dict[str, Any] = client.get(API, headers=owner).json()
    assert shown["month"] == _last_month().strftime("%Y-%m")
    # 3500 + 850 in; taxes 500 withheld + 20 % of the blog's 850; 250 debts; 1700 to live.
    assert shown["budget"] == {
        "incomes": "3500.00", "distributions": "850.00", "gross_income": "4350.00",
        "taxes": "670.00", "debt_payments": "250.00", "living_expenses": "1700.00",
        "spending": "1950.00",
    }  # fmt: skip
    assert shown["personal_residual_income"]["residual"] == "1730.00"
    # VA: Midwest, a family of 2, a loan of $80,000 or more: $738; upkeep 1200 x 0.14 = 168.
    assert shown["va"]["ran"] is True
    assert shown["va"]["guideline"] == 738
    assert shown["va"]["residual_income"] == str(Decimal(4350 - 670 - 1200 - 168 - 250) + 0) + ".00"
    assert shown["va"]["passes"] is True
    assert shown["streams"][0]["passive"] is True  # 1.5 hours, under the default 5
    assert shown["independence"]["passive_income"] == "850.00"
    assert shown["independence"]["share"] == str((Decimal(850) / 1950).quantize(Decimal("1e-4")))
    assert shown["independence"]["months"] is None  # one month of history tells no trend
    summary = client.get(f"{API}/summary", headers=owner).json()
    assert summary["personal_residual_income"] == "1730.00"
    assert summary["passive_share"] == shown["independence"]["share"]
    assert summary["recorded"] is True
    other = client.get(API, params={"month": "2020-01"}, headers=owner).json()
    assert other["budget"]["distributions"] == "0.00"


def test_the_api_names_the_field_to_fix(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = _headers(db, people["owner"])
    for method, path, body, field in (
        ("POST", "incomes", {"name": "Job", "amount": "lots"}, "amount"),
        ("POST", "incomes", {"name": "Job", "amount": "100", "tax": "withheld"}, "withheld"),
        ("POST", "debts", {"name": "Car", "payment": "-5"}, "payment"),
        ("POST", "expenses", {"category": "yachts", "amount": "5"}, "category"),
        ("PUT", "profile", {"tax_rate": "150%"}, "tax_rate"),
        ("PUT", "profile", {"region": "Atlantis"}, "region"),
        ("PUT", "profile", {"family_size": 0}, "family_size"),
    ):
        answer = client.request(method, f"{API}/{path}", json=body, headers=owner)
        assert answer.status_code == 422, (path, body)
        assert answer.json()["detail"][0]["field"] == field, answer.json()
    bad_month = client.get(API, params={"month": "2026-13"}, headers=owner)
    assert bad_month.status_code == 422
    assert bad_month.json()["detail"][0]["field"] == "month"
    # The calendar's first and last months were a 500 (a month's end or the year before it
    # is past what a date holds), on the household and on its summary.
    for path in (API, f"{API}/summary"):
        for month in ("9999-12", "0001-01"):
            edge = client.get(path, params={"month": month}, headers=owner)
            assert edge.status_code == 422, (path, month, edge.text)
            assert edge.json()["detail"][0]["field"] == "month"
    assert client.delete(f"{API}/incomes/99", headers=owner).status_code == 404
    body = {"name": "Car", "payment": "250"}
    assert client.put(f"{API}/debts/99", json=body, headers=owner).status_code == 404
    assert client.get(API, headers=owner).json()["incomes"] == []  # nothing stored


def test_the_api_changes_and_removes_what_was_recorded(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = _headers(db, people["owner"])
    made = client.post(
        f"{API}/expenses", json={"category": "food", "amount": "500"}, headers=owner
    ).json()
    changed = client.put(
        f"{API}/expenses/{made['id']}", json={"category": "food", "amount": "550.5"}, headers=owner
    )
    assert changed.json()["amount"] == "550.50"
    assert client.get(API, headers=owner).json()["budget"]["living_expenses"] == "550.50"
    assert client.delete(f"{API}/expenses/{made['id']}", headers=owner).status_code == 204
    assert client.get(API, headers=owner).json()["expenses"] == []


def test_staff_read_the_household_and_only_the_owner_changes_it(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    staff = _headers(db, people["staff"])
    assert client.get(API, headers=staff).status_code == 200
    refused = client.post(f"{API}/debts", json={"name": "Car", "payment": "1"}, headers=staff)
    assert refused.status_code == 403
    sign_in(client, people["staff"])
    page = client.get("/household")
    assert page.status_code == 200
    assert 'id="income-form"' not in page.text
    assert "Only the owner changes the household." in page.text
    posted = client.post(
        "/household/incomes",
        data={"name": "Job", "amount": "100", "tax": "none", "csrf_token": csrf_from(page.text)},
    )
    assert posted.status_code == 403


def test_the_owner_enters_a_household_on_the_page(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _blog_earned(db, "1000", "2")
    sign_in(client, people["owner"])
    page = client.get("/household")
    assert page.status_code == 200
    assert 'href="/household"' in page.text  # the navigation entry
    assert "To run the test, enter the region or state" in page.text
    token = csrf_from(page.text)
    for path, data in (
        ("profile", {"family_size": "3", "region": "TX", "square_feet": "1500",
                     "loan_amount": "200000", "tax_rate": "0.2"}),
        ("incomes", {"name": "Day job", "kind": "salary", "amount": "4000", "tax": "withheld",
                     "withheld": "600"}),
        ("expenses", {"category": "housing", "amount": "1500", "name": "Mortgage"}),
        ("expenses", {"category": "food", "amount": "700"}),
    ):  # fmt: skip
        done = client.post(f"/household/{path}", data={**data, "csrf_token": token},
                           follow_redirects=False)  # fmt: skip
        assert done.status_code == 303, done.text
    shown = client.get("/household").text
    assert 'id="va-verdict">Passes' in shown
    assert "889" in shown  # the guideline for a family of 3 in the South
    # Passive income 1,000.00 of spending 2,200.00: 45.5 %.
    assert "45.5 % covered" in shown
    # The residual: 5000 in, less 800 tax (600 withheld, 20 % of the blog's 1000), 2200 living.
    assert 'id="residual-value"><strong>2,000.00</strong>' in shown


def test_a_refused_form_says_what_to_fix_and_keeps_what_was_typed(
    client: TestClient, people: dict[str, str]
) -> None:
    sign_in(client, people["owner"])
    token = csrf_from(client.get("/household").text)
    bad = client.post(
        "/household/incomes",
        data={"name": "Gigs", "kind": "freelance", "amount": "12,5x", "tax": "owed",
              "csrf_token": token},
    )  # fmt: skip
    assert bad.status_code == 400
    assert 'id="income-error">amount: ' in bad.text
    assert 'value="Gigs"' in bad.text
    assert 'aria-invalid="true"' in bad.text
    profile = client.post("/household/profile", data={"region": "Mars", "csrf_token": token})
    assert profile.status_code == 400
    assert 'id="profile-error">region: unknown state or region' in profile.text
    month = client.get("/household", params={"month": "June"})
    assert month.status_code == 400
    assert "YYYY-MM" in month.text


def test_removing_asks_first_then_removes(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = _headers(db, people["owner"])
    debt = client.post(f"{API}/debts", json={"name": "Card", "payment": "90"}, headers=owner).json()
    sign_in(client, people["owner"])
    token = csrf_from(client.get("/household").text)
    path = f"/household/debts/{debt['id']}/remove"
    asked = client.post(path, data={"csrf_token": token})
    assert asked.status_code == 200
    assert "Remove the debt “Card”?" in asked.text
    assert len(client.get(API, headers=owner).json()["debts"]) == 1
    done = client.post(path, data={"csrf_token": token, "confirm": "yes"}, follow_redirects=False)
    assert done.status_code == 303
    assert client.get(API, headers=owner).json()["debts"] == []
    assert client.post(path, data={"csrf_token": token, "confirm": "yes"}).status_code == 404


def test_the_owner_changes_an_item_on_its_form(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = _headers(db, people["owner"])
    made = client.post(
        f"{API}/incomes",
        json={"name": "Gigs", "kind": "freelance", "amount": "900", "tax": "owed"},
        headers=owner,
    ).json()
    sign_in(client, people["owner"])
    listed = client.get("/household").text
    edit = f"/household/incomes/{made['id']}/edit"
    assert f'href="{edit}"' in listed
    form = client.get(edit)
    assert form.status_code == 200
    assert 'value="900.00"' in form.text
    assert '<option value="owed" selected>' in form.text
    token = csrf_from(form.text)
    path = f"/household/incomes/{made['id']}"
    fields = {"name": "Gigs", "kind": "freelance", "tax": "owed", "csrf_token": token}
    bad = client.post(path, data={**fields, "amount": "nine hundred"})
    assert bad.status_code == 400
    assert 'id="edit-error">amount: ' in bad.text
    assert 'value="nine hundred"' in bad.text
    saved = client.post(path, data={**fields, "amount": "1100"}, follow_redirects=False)
    assert saved.status_code == 303
    assert client.get(API, headers=owner).json()["incomes"][0]["amount"] == "1100.00"
    assert client.get("/household/incomes/999/edit").status_code == 404
    sign_in(client, people["staff"])
    assert client.get(edit).status_code == 403


def test_the_page_says_when_passive_income_already_pays_for_everything(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _blog_earned(db, "1000", "0.5")
    owner = _headers(db, people["owner"])
    body = {"category": "food", "amount": "400"}
    assert client.post(f"{API}/expenses", json=body, headers=owner).status_code == 201
    sign_in(client, people["staff"])
    shown = client.get("/household").text
    assert "Passive income already pays for all of your spending." in shown
    assert 'id="fi-share">250.0 % covered' in shown
    assert client.get(f"{API}/summary", headers=owner).json()["months_to_independence"] == 0


def test_the_dashboard_home_carries_the_household_line(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    sign_in(client, people["owner"])
    before = client.get("/").text
    assert 'id="household"' in before
    assert "Record your incomes, debts and living expenses" in before
    owner = _headers(db, people["owner"])
    _blog_earned(db, "850.00", "1.5")
    _record(client, owner)
    after = client.get("/").text
    assert _last_month().strftime("%B %Y") in after
    assert "1,730.00 USD" in after  # the month's personal residual income, as on /household
    share = (Decimal(850) / 1950 * 100).quantize(Decimal("0.1"))
    assert f"{share} %" in after
