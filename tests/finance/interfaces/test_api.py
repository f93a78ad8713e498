"""The finance JSON API: the library's numbers over HTTP for owner and staff; 422 names a field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from evergreen.db import Database
from evergreen.finance.errors import FinanceInputError
from evergreen.finance.interfaces.schemas import run_model, to_json
from evergreen.finance.residual_income import multistage as ri
from tests.http_helpers import token_for

BUGG = {
    "book_value": 6.0,
    "cost_of_equity": 0.10,
    "earnings": [2.00, 2.50, 4.00],
    "dividends": [1.00, 1.25, 12.25],
}
VA = {
    "gross_monthly_income": 7_000,
    "housing_payment": 1_900,
    "family_size": 4,
    "state": "TX",
    "loan_amount": 250_000,
    "square_feet": 2_000,
    "other_debts": 450,
    "child_care": 300,
    "job_expenses": 100,
    "federal_income_tax": 600,
    "social_security": 434,
    "medicare": 101.50,
}
_SINGLE = {"book_value": 20, "roe": 0.12, "cost_of_equity": 0.10, "growth": 0.05}


@pytest.fixture
def staff(client: TestClient, db: Database, people: dict[str, str]) -> dict[str, str]:
    """Headers carrying a staff member's API token."""
    return {"Authorization": f"Bearer {token_for(db, people['staff'])}"}


def _post(client: TestClient, path: str, body: object, headers: dict[str, str]) -> Any:
    return client.post(f"/api/v1/finance/{path}", json=body, headers=headers)


def test_bugg_properties_valuation_and_continuing_value(
    client: TestClient, staff: dict[str, str]
) -> None:
    response = _post(client, "residual-income", BUGG, staff)
    assert response.status_code == 200, response.text
    body = response.json()
    # Rounded as documented: dollars half up to cents, rates and factors to 6 places.
    assert body["value"] == 11.15
    assert body["residual_income"] == [1.4, 1.8, 3.18]  # not 1.7999999999999998, 3.175
    assert body["discount_factors"] == [0.909091, 0.826446, 0.751315]
    assert body["cost_of_equity"] == 0.1
    assert body["bridge"][0] == ["Book value B0", 6.0]
    assert sum(amount for _, amount in body["bridge"]) == pytest.approx(body["value"], abs=0.01)
    library = ri.value(6.0, 0.10, earnings=BUGG["earnings"], dividends=BUGG["dividends"])
    assert body == json.loads(json.dumps(to_json(library)))
    fading = {**BUGG, "continuing": "persistence", "persistence": 0.6}
    assert _post(client, "residual-income", fading, staff).json()["persistence"] == 0.6
    roe = {"book_value": 10, "cost_of_equity": 0.1, "roe": 0.15, "payout": 0.4, "horizon": 5}
    by_pb = {**roe, "continuing": "price_to_book", "terminal_price_to_book": 1.5}
    assert _post(client, "residual-income", by_pb, staff).json()["value"] > 10


def test_token_and_role_are_checked(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    assert _post(client, "residual-income", BUGG, {}).status_code == 401
    partner = {"Authorization": f"Bearer {token_for(db, people['partner'])}"}
    assert _post(client, "residual-income", BUGG, partner).status_code == 403
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    assert _post(client, "single-stage", _SINGLE, owner).status_code == 200


BAD_INPUT = [
    ("single-stage", {**_SINGLE, "growth": 0.10}, "cost_of_equity"),
    (
        "justified-price-to-book",
        {"roe": 0.12, "cost_of_equity": 0.08, "growth": 0.09},
        "cost_of_equity",
    ),
    ("residual-income", {**BUGG, "continuing": "persistence", "persistence": 1.2}, "persistence"),
    (
        "residual-income",
        {**BUGG, "continuing": "perpetuity", "cost_of_equity": -0.1},
        "cost_of_equity",
    ),
    ("residual-income", {**BUGG, "dividends": [1.0, 1.25]}, "dividends"),
    ("residual-income", {**BUGG, "cost_of_equity": "ten"}, "cost_of_equity"),
    ("residual-income", {**BUGG, "book_vaule": 6}, "book_vaule"),
    ("eva", {"capital": 1_000, "nopat": 140, "wacc": 0.09, "equity": 5}, "net_income"),
    ("loans/yield", {"principal": 1e5, "annual_rate": 12, "months": 3}, "annual_rate"),
    ("household/va", {**VA, "state": "ZZ"}, "state"),
    ("simulate", {"paths": 200_001}, "paths"),
]


def test_bad_input_is_a_422_naming_the_field(client: TestClient, staff: dict[str, str]) -> None:
    """r <= g, persistence outside [0, 1], mismatched lengths, typos: each names its field."""
    for path, body, field in BAD_INPUT:
        response = _post(client, path, body, staff)
        assert response.status_code == 422, (path, response.text)
        detail = response.json()["detail"]
        assert detail[0]["field"] == field, (path, detail)
        assert detail[0]["loc"] == ["body", field]
        assert detail[0]["message"]
    raw = json.dumps(BUGG).replace("0.1,", "NaN,", 1)
    headers = {**staff, "Content-Type": "application/json"}
    nan = client.post("/api/v1/finance/residual-income", content=raw, headers=headers)
    assert nan.status_code == 422
    assert nan.json()["detail"][0]["field"] == "cost_of_equity"


def test_single_stage_and_eva(client: TestClient, staff: dict[str, str]) -> None:
    assert _post(client, "single-stage", _SINGLE, staff).json()["value"] == pytest.approx(28)
    pb = {"roe": 0.12, "cost_of_equity": 0.10, "growth": 0.05}
    assert _post(client, "justified-price-to-book", pb, staff).json() == {
        "justified_price_to_book": pytest.approx(1.4)
    }
    growth = {"price": 28, "book_value": 20, "roe": 0.12, "cost_of_equity": 0.10}
    assert _post(client, "implied-growth", growth, staff).json()["implied_growth"] == (
        pytest.approx(0.05)
    )
    coe = {"price": 28, "book_value": 20, "roe": 0.12, "growth": 0.05}
    assert _post(client, "implied-cost-of-equity", coe, staff).json()[
        "implied_cost_of_equity"
    ] == pytest.approx(0.10)
    body = {
        "capital": 1_000,
        "ebit": 200,
        "tax_rate": 0.30,
        "equity_weight": 0.6,
        "debt_weight": 0.4,
        "cost_of_equity": 0.12,
        "pre_tax_cost_of_debt": 0.06,
        "net_income": 90,
        "equity": 600,
    }
    result = _post(client, "eva", body, staff).json()
    assert result["wacc"] == pytest.approx(0.6 * 0.12 + 0.4 * 0.06 * 0.7)
    assert result["eva"] == pytest.approx(140 - result["wacc"] * 1_000)
    assert result["equity_residual_income"] == pytest.approx(90 - 0.12 * 600)
    missing = _post(
        client, "eva", {"capital": 1_000, "nopat": 140, "wacc": 0.09, "equity": 5}, staff
    )
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["field"] == "net_income"


def test_household_and_loans(client: TestClient, staff: dict[str, str]) -> None:
    va = _post(client, "household/va", VA, staff).json()
    assert (va["region"], va["guideline"], va["dti_percent"], va["passes"]) == (
        "South",
        1003,
        38,
        True,
    )
    assert va["residual_income"] == pytest.approx(2_834.50)
    month = {"gross_income": 6_000, "taxes": 1_200, "debt_payments": 900, "living_expenses": 2_500}
    assert _post(client, "household/residual-income", month, staff).json()["residual"] == 1_400
    contract = {"principal": 100_000, "annual_rate": 0.12, "months": 3, "points": 2}
    assert _post(client, "loans/yield", contract, staff).json()["lender_yield"] == 0.202718
    terms = {
        "principal": 100_000,
        "annual_rate": 0.12,
        "term_months": 12,
        "start_date": "2024-01-15",
        "amortization_months": 360,
        "points": 2,
    }
    plan = _post(client, "loans/schedule", terms, staff).json()
    assert len(plan["rows"]) == 12
    assert plan["rows"][-1]["balance"] == 0
    assert plan["lender_xirr"] > 0.12
    payoff = _post(client, "loans/payoff", {**terms, "on_date": "2024-06-01"}, staff).json()
    assert payoff["payments_made"] == 4
    assert payoff["total"] == pytest.approx(
        payoff["principal"] + payoff["accrued_interest"], abs=0.01
    )
    assert payoff["total"] == round(payoff["total"], 2)  # dollars in cents
    assert plan["lender_xirr"] == round(plan["lender_xirr"], 6)
    # A note whose payments would fall off the calendar was a 500 (year 10000).
    for late in ({**terms, "start_date": "9999-12-31"}, {**terms, "start_date": "0001-01-01"}):
        refused = client.post("/api/v1/finance/loans/schedule", json=late, headers=staff)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["field"] == "start_date"
    far = {**terms, "on_date": "9999-12-31"}
    assert client.post("/api/v1/finance/loans/payoff", json=far, headers=staff).status_code == 422


def test_simulate(client: TestClient, staff: dict[str, str]) -> None:
    result = _post(client, "simulate", {"paths": 5_000, "seed": 7}, staff).json()
    assert 0 <= result["probability_passive_wins"] <= 1
    assert 0 <= result["never_breakeven_share"] <= 1
    npv = result["npv"]
    assert npv["p5"] <= npv["p25"] <= npv["p50"] <= npv["p75"] <= npv["p95"]


def test_every_finance_route_names_its_operation(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    finance = {
        path: operation["operationId"]
        for path, methods in spec["paths"].items()
        if path.startswith("/api/v1/finance/")
        for operation in methods.values()
    }
    assert len(finance) == 12
    assert finance["/api/v1/finance/residual-income"] == "value_residual_income"
    assert finance["/api/v1/finance/loans/payoff"] == "quote_loan_payoff"
    assert all("_api_v1_" not in operation for operation in finance.values()), finance


def test_arithmetic_a_model_cannot_do_is_an_input_error() -> None:
    with pytest.raises(FinanceInputError) as info:
        run_model(lambda: 10.0**400)
    assert (info.value.field, info.value.status) == ("input", 422)
    assert "overflow" in info.value.message
