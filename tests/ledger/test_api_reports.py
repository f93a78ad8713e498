"""The ledger's reports over HTTP, JSON and CSV, reconciled to the cent with a computation of
their own here: residual income per stream, value, month-by-month history, and the entries
behind a figure summing to it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from evergreen.db import Database, utcnow
from evergreen.ledger import queries, service
from evergreen.ledger.rules import Rates
from tests.http_helpers import token_for

API = "/api/v1/ledger"
RATE, RETURN = Decimal(50), Decimal("0.10")
CENT = Decimal("0.01")

# The Blog's year: (kind, day, amount); hours as (day, hours).
CAPITAL = [("2025-12-15", "3650"), ("2026-02-01", "730"), ("2026-03-01", "-365")]
INCOME = [("2026-01-10", "1000"), ("2026-03-31", "250.50"), ("2026-04-01", "99")]
COSTS = [("2026-02-14", "120.25")]
HOURS = [("2025-12-31", "3"), ("2026-01-05", "2.5"), ("2026-03-02", "1.25")]


def _cents(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP) + 0)


def _days(start: date, end: date) -> Iterable[date]:
    while start <= end:
        yield start
        start += timedelta(days=1)


def _expected(start: date, end: date, rate: Decimal = RATE) -> dict[str, Decimal]:
    """The Blog's figures, straight from the lists above (not from the ledger's code)."""

    def within(rows: list[tuple[str, str]]) -> Decimal:
        return sum((Decimal(a) for d, a in rows if start <= date.fromisoformat(d) <= end),
                   Decimal(0))  # fmt: skip

    capital_days = sum(
        (sum((Decimal(a) for d, a in CAPITAL if date.fromisoformat(d) <= day), Decimal(0))
         for day in _days(start, end)),
        Decimal(0),
    )  # fmt: skip
    income, costs, hours = within(INCOME), within(COSTS), within(HOURS)
    charge = capital_days * RETURN / 365
    return {
        "income": income, "costs": costs, "hours": hours, "owner_time_charge": hours * rate,
        "capital_charge": charge, "residual_income": income - costs - hours * rate - charge,
    }  # fmt: skip


def _shown(figures: dict[str, Decimal]) -> dict[str, str]:
    return {name: _cents(value) for name, value in figures.items()}


@pytest.fixture
def ledger(client: TestClient, db: Database, people: dict[str, str]) -> dict[str, Any]:
    """The Blog (with its year, a reversed sale and a pending one) and Royalties (own rate)."""
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(f"{API}/{path}", json=body, headers=owner)
        assert response.status_code in (200, 201), response.text
        result: dict[str, Any] = response.json()
        return result

    saved = {"hourly_rate": str(RATE), "required_return": str(RETURN)}
    assert client.put(f"{API}/preferences", json=saved, headers=owner).status_code == 200
    blog = post("streams", {"name": "Blog", "kind": "affiliate"})["id"]
    royalties = post("streams", {"name": "Royalties", "kind": "royalties", "hourly_rate": "20"})
    for path, rows in (("capital", CAPITAL), ("income", INCOME), ("costs", COSTS)):
        for on, amount in rows:
            post(path, {"stream_id": blog, "date": on, "amount": amount, "memo": "=SUM(A1)"})
    for on, hours in HOURS:
        post("hours", {"stream_id": blog, "date": on, "hours": hours})
    refund = post("income", {"stream_id": blog, "date": "2026-01-15", "amount": "40"})
    post(f"transactions/{refund['id']}/reverse", {"date": "2026-01-16"})
    pending = [{"account": "Assets:Bank", "amount": "500", "currency": "USD"},
               {"account": "Income:Other", "amount": "-500", "currency": "USD",
                "stream_id": blog}]  # fmt: skip
    post("transactions", {"date": "2026-01-20", "flag": "!", "legs": pending})
    post("income", {"stream_id": royalties["id"], "date": "2026-02-02", "amount": "10"})
    post("hours", {"stream_id": royalties["id"], "date": "2026-02-02", "hours": "1"})
    return {"owner": owner, "staff": staff, "blog": blog, "royalties": royalties["id"]}


def test_the_report_reconciles_to_the_cent(
    client: TestClient, db: Database, ledger: dict[str, Any]
) -> None:
    period = {"from": "2026-01-01", "to": "2026-03-31"}
    answer = client.get(f"{API}/report", params=period, headers=ledger["staff"])
    assert answer.status_code == 200, answer.text
    report = answer.json()
    blog = _shown(_expected(date(2026, 1, 1), date(2026, 3, 31)))
    # The same numbers by hand: 31 days of 3650, 28 of 4380, 31 of 4015 at 10 % a year.
    assert blog == {"income": "1250.50", "costs": "120.25", "hours": "3.75",
                    "owner_time_charge": "187.50", "capital_charge": "98.70",
                    "residual_income": "844.05"}  # fmt: skip
    royalties = {"income": "10.00", "costs": "0.00", "hours": "1.00",
                 "owner_time_charge": "20.00", "capital_charge": "0.00",
                 "residual_income": "-10.00"}  # fmt: skip
    assert report == {
        "from": "2026-01-01", "to": "2026-03-31", "currency": "USD", "hourly_rate": "50",
        "required_return": "0.1",
        "streams": [
            {"id": ledger["blog"], "name": "Blog", "kind": "affiliate", "currency": "USD", **blog},
            {"id": ledger["royalties"], "name": "Royalties", "kind": "royalties",
             "currency": "USD", **royalties},
        ],
        "total": {name: _cents(Decimal(blog[name]) + Decimal(royalties[name])) for name in blog},
    }  # fmt: skip
    # The same object as `streams report --json` (queries.Report.to_dict), plus IDs and rates.
    with db.session(writer=False) as session:
        first, last = date(2026, 1, 1), date(2026, 3, 31)
        cli = queries.report(session, first, last, Rates(RATE, RETURN), "USD").to_dict()
    for row in report["streams"]:
        del row["id"]
    del report["hourly_rate"], report["required_return"]
    assert report == cli
    given = client.get(f"{API}/report", params={**period, "hourly_rate": "0"},
                       headers=ledger["staff"]).json()  # fmt: skip
    assert given["streams"][0] == {**given["streams"][0],
                                   **_shown(_expected(first, last, Decimal(0)))}  # fmt: skip
    assert given["streams"][1]["owner_time_charge"] == "20.00"  # its own rate stays


def test_the_report_as_csv_holds_the_same_figures(
    client: TestClient, ledger: dict[str, Any]
) -> None:
    period = {"from": "2026-01-01", "to": "2026-03-31"}
    answer = client.get(f"{API}/report.csv", params=period, headers=ledger["staff"])
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert "ledger-report-2026-01-01-2026-03-31.csv" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    report = client.get(f"{API}/report", params=period, headers=ledger["staff"]).json()
    figures = ["income", "costs", "hours", "owner_time_charge", "capital_charge",
               "residual_income"]  # fmt: skip
    assert [r["stream"] for r in rows] == ["Blog", "Royalties", "Total"]
    for row, expected in zip(rows, [*report["streams"], report["total"]], strict=True):
        assert {f: row[f] for f in figures} == {f: expected[f] for f in figures}
        assert (row["from"], row["to"]) == ("2026-01-01", "2026-03-31")


def test_a_stream_is_valued_with_the_given_the_saved_or_the_estimated_persistence(
    client: TestClient, ledger: dict[str, Any]
) -> None:
    path = f"{API}/streams/{ledger['blog']}/value"
    as_of = date(2026, 3, 31)
    ttm = _expected(as_of - timedelta(days=364), as_of)["residual_income"]
    capital = Decimal(3650 + 730 - 365)
    given = client.get(path, params={"as_of": "2026-03-31", "persistence": "0.5"},
                       headers=ledger["staff"])  # fmt: skip
    assert given.status_code == 200, given.text
    assert _cents(ttm) == "677.05"  # 1250.50 - 120.25 - 6.75 h x 50 - 422305 x 0.1 / 365
    assert given.json() == {
        "as_of": "2026-03-31", "value": _cents(capital + ttm / (1 + RETURN - Decimal("0.5"))),
        "capital": "4015.00", "capital_contributed": "4015.00", "capital_assets": "0.00",
        "residual_income_ttm": "677.05", "required_return": "0.1",
        "persistence": "0.5", "persistence_from": "given", "estimate": None,
        "forecast": None, "forecast_problem": None,
    }  # fmt: skip
    assert given.json()["value"] == "5143.42"
    owner = ledger["owner"]
    client.patch(f"{API}/streams/{ledger['blog']}", json={"persistence": "0"}, headers=owner)
    saved = client.get(path, params={"as_of": "2026-03-31"}, headers=ledger["staff"]).json()
    assert (saved["persistence_from"], saved["persistence"]) == ("stream", "0")
    assert saved["value"] == _cents(capital + ttm / (1 + RETURN))  # ω = 0: B + RI1 / (1 + r)
    for params, field in [({"persistence": "1.2"}, "persistence"), ({"as_of": "2026-02-30"},
                          "as_of"), ({"as_of": "0001-01-01"}, "as_of"),
                          ({"hourly_rate": "x"}, "hourly_rate")]:  # fmt: skip
        refused = client.get(path, params=params, headers=ledger["staff"])
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["field"] == field


def test_a_persistence_estimated_from_the_history_is_shown_with_its_fit(
    client: TestClient, ledger: dict[str, Any]
) -> None:
    owner, staff = ledger["owner"], ledger["staff"]
    fading = client.post(f"{API}/streams", json={"name": "Course", "required_return": "0.2"},
                         headers=owner).json()["id"]  # fmt: skip
    for month in range(1, 9):  # income falls by a fifth each month: φ = 0.8
        amount = Decimal(1000) * Decimal("0.8") ** (month - 1)
        body = {
            "stream_id": fading,
            "date": f"2025-{month:02}-15",
            "amount": f"{amount.normalize():f}",
        }
        assert client.post(f"{API}/income", json=body, headers=owner).status_code == 201
    value = client.get(f"{API}/streams/{fading}/value", params={"as_of": "2025-08-31"},
                       headers=staff).json()  # fmt: skip
    omega = Decimal("0.8") ** 12
    assert value["persistence_from"] == "estimate"
    assert value["estimate"] == {"omega": f"{omega:.4f}", "monthly": "0.8000",
                                 "r_squared": "1.0000", "months": 8}  # fmt: skip
    ttm = sum(Decimal(1000) * Decimal("0.8") ** m for m in range(8))
    assert value["residual_income_ttm"] == _cents(ttm)
    assert value["required_return"] == "0.2"
    used = Decimal(f"{omega:.4f}")
    assert value["value"] == _cents(ttm / (1 + Decimal("0.2") - used))


def test_the_history_is_month_by_month_and_sums_to_the_report(
    client: TestClient, ledger: dict[str, Any]
) -> None:
    path = f"{API}/streams/{ledger['blog']}/history"
    params = {"months": 4, "until": "2026-03-15"}
    history = client.get(path, params=params, headers=ledger["staff"])
    assert history.status_code == 200, history.text
    months = history.json()["months"]
    assert [m["month"] for m in months] == ["2025-12", "2026-01", "2026-02", "2026-03"]
    for row in months:
        year, month = map(int, row["month"].split("-"))
        first = date(year, month, 1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        assert row == {"month": row["month"], **_shown(_expected(first, last))}
    assert [m["residual_income"] for m in months] == ["-167.00", "844.00", "-153.85", "153.90"]
    as_csv = client.get(f"{path}.csv", params=params, headers=ledger["staff"])
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert list(csv.DictReader(io.StringIO(as_csv.text))) == months
    for bad, field in [({"months": 0}, "months"), ({"months": 121}, "months"),
                       ({"until": "2026-3-1"}, "until")]:  # fmt: skip
        refused = client.get(path, params=bad, headers=ledger["staff"])
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["field"] == field


@pytest.mark.parametrize(
    ("figure", "amounts"),
    [
        ("income", ["1000.00", "40.00", "-40.00", "250.50"]),  # the pending 500 is not counted
        ("costs", ["120.25"]),
        ("capital", ["730.00", "-365.00"]),
    ],
)
def test_the_entries_behind_a_figure_sum_to_it(
    client: TestClient, ledger: dict[str, Any], figure: str, amounts: list[str]
) -> None:
    path = f"{API}/streams/{ledger['blog']}/entries"
    params = {"from": "2026-01-01", "to": "2026-03-31", "figure": figure}
    answer = client.get(path, params=params, headers=ledger["staff"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [e["amount"] for e in body["entries"]] == amounts
    assert body["complete"] is True
    total = sum((Decimal(a) for a in amounts), Decimal(0))
    assert Decimal(body["total"]) == total
    if figure != "capital":
        report = client.get(f"{API}/report", params=params, headers=ledger["staff"]).json()
        assert _cents(total) == report["streams"][0][figure]
    limited = client.get(path, params={**params, "limit": 1}, headers=ledger["staff"]).json()
    assert (len(limited["entries"]), limited["complete"]) == (1, len(amounts) == 1)
    as_csv = client.get(f"{path}.csv", params=params, headers=ledger["staff"])
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["amount"] for r in rows] == amounts
    assert [int(r["transaction_id"]) for r in rows] == [
        e["transaction_id"] for e in body["entries"]
    ]
    if figure != "costs":
        return
    # A memo a spreadsheet would run is written as text.
    assert rows[0]["narration"] == "'=SUM(A1)"


def test_reports_refuse_what_they_cannot_answer(
    client: TestClient, db: Database, ledger: dict[str, Any]
) -> None:
    staff, blog = ledger["staff"], ledger["blog"]
    cases: list[tuple[str, dict[str, Any], int, str | None]] = [
        ("report", {"to": "2026-01-31"}, 422, "from"),
        ("report", {"from": "2026-02-01", "to": "2026-01-31"}, 422, "to"),
        ("report", {"from": "2026-01-01", "to": "2026-01-32"}, 422, "to"),
        ("report", {"from": "1900-01-01", "to": "2199-12-31"}, 422, "to"),
        ("report", {"from": "2026-01-01", "to": "2026-01-31", "required_return": "2"}, 422,
         "required_return"),
        ("report.csv", {"from": "2026-01-01"}, 422, "to"),
        (f"streams/{blog}/entries", {"from": "2026-01-01", "to": "2026-01-31",
                                     "figure": "profit"}, 422, "figure"),
        (f"streams/{blog}/entries", {"from": "2026-01-01", "to": "2026-01-31",
                                     "figure": "income", "limit": 5001}, 422, "limit"),
        ("streams/999/entries", {"from": "2026-01-01", "to": "2026-01-31",
                                 "figure": "income"}, 404, None),
        ("streams/999/value", {}, 404, None),
        ("streams/999/history.csv", {}, 404, None),
    ]  # fmt: skip
    for path, params, status, field in cases:
        refused = client.get(f"{API}/{path}", params=params, headers=staff)
        assert refused.status_code == status, (path, params, refused.text)
        if field is not None:
            assert refused.json()["detail"][0]["field"] == field, (path, refused.text)
    with db.session() as session:  # no rates saved and none given: said, not assumed 0
        row = service.preferences(session)
        row.hourly_rate = None
    unset = client.get(f"{API}/report", params={"from": "2026-01-01", "to": "2026-01-31"},
                       headers=staff)  # fmt: skip
    assert unset.status_code == 422
    assert unset.json()["detail"][0]["field"] == "hourly_rate"
    # An API caller is told the field it can send, never the command line's option.
    for path in ("report", f"streams/{blog}/value"):
        refused = client.get(f"{API}/{path}", params={"from": "2026-01-01", "to": "2026-01-31"},
                             headers=staff)  # fmt: skip
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0] == {
            "field": "hourly_rate",
            "message": "is not set; give hourly_rate (?hourly_rate=… in the address) or save "
            "one in the ledger's preferences (/ledger/preferences)",
            "loc": ["query", "hourly_rate"],
        }


def test_this_months_history_is_its_days_so_far(client: TestClient, ledger: dict[str, Any]) -> None:
    """The capital still in the Blog is charged for this month's days that have passed, as the
    report of the month so far charges it, not for the whole month."""
    today = utcnow().date()
    path = f"{API}/streams/{ledger['blog']}/history"
    months = client.get(path, params={"months": 1}, headers=ledger["staff"]).json()["months"]
    so_far = client.get(f"{API}/report", headers=ledger["staff"],
                        params={"from": today.replace(day=1).isoformat(),
                                "to": today.isoformat()}).json()  # fmt: skip
    blog = next(s for s in so_far["streams"] if s["id"] == ledger["blog"])
    assert months[0]["month"] == today.strftime("%Y-%m")
    assert months[0]["capital_charge"] == blog["capital_charge"] != "0.00"
    assert months[0]["residual_income"] == blog["residual_income"]


def test_a_report_without_rates_says_how_an_api_caller_gives_them(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    """No rate saved: the answer names the query parameter and the preferences, not a flag of
    the command line the caller is not using."""
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    period = {"from": "2026-01-01", "to": "2026-01-31"}
    for params, field in (
        (period, "hourly_rate"),
        ({**period, "hourly_rate": "40"}, "required_return"),
    ):
        answer = client.get(f"{API}/report", params=params, headers=staff)
        assert answer.status_code == 422, answer.text
        (problem,) = answer.json()["detail"]
        assert problem["field"] == field
        assert problem["loc"] == ["query", field]
        assert f"?{field}=" in problem["message"]
        assert "preferences" in problem["message"]
