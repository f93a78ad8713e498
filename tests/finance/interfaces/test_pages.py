"""The finance pages: every calculator's form, its results equal to the API's for the same input,
and bad input refused beside its field with the API's own reason (a 4xx, never a 500)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from evergreen.db import Database
from evergreen.finance.interfaces.calculators import GROUPS, Calculator
from evergreen.finance.interfaces.forms import read_form
from tests.http_helpers import csrf_from, sign_in, token_for

CALCULATORS = [(group.slug, calc) for group in GROUPS for calc in group.calculators]


@pytest.fixture
def staff(client: TestClient, db: Database, people: dict[str, str]) -> dict[str, str]:
    """A signed-in staff member's browser session, and their API token's headers."""
    sign_in(client, people["staff"])
    return {"Authorization": f"Bearer {token_for(db, people['staff'])}"}


def _api(
    client: TestClient, calc: Calculator, body: dict[str, Any], headers: dict[str, str]
) -> Any:
    return client.post(calc.api_path, json=body, headers=headers)


def _cells(page: str) -> list[str]:
    """What the results section prints: figures and table cells, unescaped."""
    results = page[page.index('id="results"') :]
    found = re.findall(r'<span class="number">([^<]*)</span>|<td[^>]*>([^<]*)</td>', results)
    return [html.unescape(a or b) for a, b in found]


def _field_error(page: str, name: str) -> str:
    match = re.search(rf'<span class="field-error" id="{name}-error">([^<]*)</span>', page)
    assert match, f"no error beside {name}"
    return html.unescape(match.group(1))


def test_every_calculator_answers_its_example_as_the_api_does(
    client: TestClient, staff: dict[str, str]
) -> None:
    for group, calc in CALCULATORS:
        shown = client.get(f"/finance/{group}/{calc.slug}")
        assert shown.status_code == 200, (group, calc.slug)
        for field in calc.fields:  # the form, prefilled with the worked example
            assert f'name="{field.name}"' in shown.text
        values = calc.examples()
        posted = client.post(
            f"/finance/{group}/{calc.slug}",
            data={**values, "csrf_token": csrf_from(shown.text)},
        )
        assert posted.status_code == 200, (group, calc.slug, posted.text[-500:])
        request = read_form(calc.request, calc.fields, values)
        body = request.model_dump(mode="json", exclude_unset=True)
        api = _api(client, calc, body, staff)
        assert api.status_code == 200, (calc.slug, api.text)
        expected = calc.present(api.json(), request)
        printed = [value for _label, value in expected.figures]
        printed += [cell for table in expected.tables for row in table.rows for cell in row]
        assert _cells(posted.text) == printed, calc.slug
        assert printed == _cells(shown.text)  # GET shows the example answered
        if expected.chart is not None:
            assert 'id="result-chart"' in posted.text
            assert '<ul class="legend"' in posted.text


def test_residual_income_page_shows_the_textbook_value_and_the_apis_digits(
    client: TestClient, staff: dict[str, str]
) -> None:
    form = client.get("/finance/valuation")  # the group's first calculator
    assert form.status_code == 200
    posted = client.post(
        "/finance/valuation/residual-income",
        data={
            "book_value": "6",
            "cost_of_equity": "0.10",
            "earnings": "2, 2.5, 4",
            "dividends": "1 1.25 12.25",
            "continuing": "none",
            "csrf_token": csrf_from(form.text),
        },
    )
    assert posted.status_code == 200
    body = {
        "book_value": 6,
        "cost_of_equity": 0.10,
        "earnings": [2, 2.5, 4],
        "dividends": [1, 1.25, 12.25],
    }
    api = _api(client, GROUPS[0].calculators[0], body, staff).json()
    cells = _cells(posted.text)
    assert cells[0] == f"{api['value']:,.2f}" == "11.15"
    assert [f"{ri:,.2f}" for ri in api["residual_income"]] == ["1.40", "1.80", "3.18"]
    for ri, pv in zip(api["residual_income"], api["pv_residual_income"], strict=True):
        assert f"{ri:,.2f}" in cells
        assert f"{pv:,.2f}" in cells
    chart = posted.text[posted.text.index('id="result-chart"') :]
    assert re.findall(r'<text class="axis x"[^>]*>([^<]+)</text>', chart) == ["1", "2", "3"]


def test_loan_schedule_and_simulation_pages_match_the_api(
    client: TestClient, staff: dict[str, str]
) -> None:
    loan = {
        "principal": "50000",
        "annual_rate": "0.10",
        "term_months": "12",
        "start_date": "2026-03-01",
        "amortization_months": "12",
        "points": "1",
        "day_count": "30/360",
    }
    form = client.get("/finance/loans/schedule")
    page = client.post("/finance/loans/schedule", data={**loan, "csrf_token": csrf_from(form.text)})
    assert page.status_code == 200
    late = {**loan, "start_date": "9999-12-31", "csrf_token": csrf_from(form.text)}
    refused = client.post("/finance/loans/schedule", data=late)
    assert refused.status_code == 400, refused.text
    assert "start_date" in refused.text or "Start date" in refused.text
    api = client.post(
        "/api/v1/finance/loans/schedule",
        json={
            **loan,
            "principal": 50000,
            "annual_rate": 0.10,
            "term_months": 12,
            "amortization_months": 12,
            "points": 1,
        },
        headers=staff,
    ).json()
    cells = _cells(page.text)
    assert cells[:3] == [
        f"{api['total_interest']:,.2f}",
        f"{api['total_paid']:,.2f}",
        f"{api['lender_xirr']:.2%}",
    ]
    assert len(api["rows"]) == 12
    assert f"{api['rows'][-1]['balance']:,.2f}" == "0.00"
    assert f"{api['rows'][0]['payment']:,.2f}" in cells

    form = client.get("/finance/simulation")
    page = client.post(
        "/finance/simulation/passive-vs-active",
        data={"paths": "5000", "seed": "7", "csrf_token": csrf_from(form.text)},
    )  # blank fields take the API's defaults
    api = client.post("/api/v1/finance/simulate", json={"paths": 5000, "seed": 7}, headers=staff)
    assert _cells(page.text)[0] == f"{api.json()['probability_passive_wins']:.2%}"
    assert "across 5,000 paths" in page.text


# (page, field, typed, the same value sent to the API, the field the refusal names if another)
BAD = [
    ("valuation/residual-income", "book_value", "-1", -1, ""),
    ("valuation/residual-income", "earnings", "2, x, 4", [2, "x", 4], ""),
    # the model's own refusal (after the schema) names the field it blames
    ("valuation/single-stage", "growth", "0.10", 0.10, "cost_of_equity"),
    ("valuation/eva", "ebit", "100", 100, ""),
    ("loans/schedule", "term_months", "2.5", "2.5", ""),
    ("loans/payoff", "on_date", "2026-02-30", "2026-02-30", ""),
    ("household/residual-income", "taxes", "1e999", "1e999", ""),
    ("household/va", "state", "Atlantis", "Atlantis", ""),
    ("simulation/passive-vs-active", "paths", "200001", 200_001, ""),
    ("simulation/passive-vs-active", "churn", "NaN", "NaN", ""),
]


def test_bad_input_is_refused_beside_its_field_with_the_apis_reason(
    client: TestClient, staff: dict[str, str]
) -> None:
    for address, field, typed, sent, blamed in BAD:
        group, slug = address.split("/")
        calc = next(c for g, c in CALCULATORS if g == group and c.slug == slug)
        form = client.get(f"/finance/{address}")
        examples = calc.examples()
        page = client.post(
            f"/finance/{address}",
            data={**examples, field: typed, "csrf_token": csrf_from(form.text)},
        )
        assert page.status_code == 400, address
        assert 'id="results"' not in page.text
        assert f'value="{typed}"' in page.text  # what was typed is kept to be corrected
        beside = blamed or field
        said = _field_error(page.text, beside)
        body = read_form(calc.request, calc.fields, examples).model_dump(
            mode="json", exclude_unset=True
        )
        api = _api(client, calc, {**body, field: sent}, staff)
        assert api.status_code == 422, address
        (detail,) = [d for d in api.json()["detail"] if d["field"].split(".")[0] == beside]
        assert said.endswith(detail["message"]), (address, said, detail)


def test_unknown_pages_are_404_and_partners_or_strangers_are_kept_out(
    client: TestClient, people: dict[str, str]
) -> None:
    assert client.get("/finance", follow_redirects=False).status_code == 303
    sign_in(client, people["partner"])
    assert client.get("/finance/valuation").status_code == 403
    client.cookies.clear()
    sign_in(client, people["owner"])
    assert client.get("/finance/nothing").status_code == 404
    assert client.get("/finance/valuation/nothing").status_code == 404


def test_nothing_that_works_is_shown_as_coming(client: TestClient, people: dict[str, str]) -> None:
    sign_in(client, people["owner"])
    home = client.get("/").text
    for slug, title in (("finance", "Finance"), ("links", "Links"), ("partners", "Partners")):
        entry = re.search(
            rf'<a href="/{slug}"[^>]*>{title}( <span class="tag">coming</span>)?', home
        )
        assert entry, slug
        assert entry.group(1) is None, f"{slug} is shown as coming"
    for words in ("Lending", "Household"):  # finance's calculators do them today
        assert f'{words} <span class="tag">coming</span>' not in home
    index = client.get("/finance").text
    for group in GROUPS:
        assert f'href="/finance/{group.slug}"' in index
        assert client.get(f"/finance/{group.slug}").status_code == 200


def test_the_loan_chart_adds_up_to_the_principal_and_the_interest() -> None:
    from evergreen.finance.interfaces import results
    from evergreen.finance.interfaces.schemas import LoanScheduleRequest, to_json

    request = LoanScheduleRequest.model_validate(
        {
            "principal": 100_000,
            "annual_rate": 0.12,
            "term_months": 24,
            "start_date": "2026-01-15",
            "amortization_months": 36,
        }
    )  # a balloon at the end
    answer = to_json(request.run())
    chart = results.loan_schedule(answer).chart
    assert chart is not None
    assert [tick.label for tick in chart.x_ticks] == ["2026", "2027", "2028"]
    paid = {name: sum(b.value for b in chart.bars if b.name == name) for name in chart.legend}
    assert paid["Principal"] == pytest.approx(100_000)
    assert paid["Interest"] == pytest.approx(answer["total_interest"])


@pytest.mark.parametrize(
    ("book_value", "price_to_book"),
    [("0.014", "474.8846"), ("0.004", "1,660.2179"), ("1e-320", "—")],
)
def test_residual_income_page_divides_the_unrounded_value_by_the_book_value(
    client: TestClient, staff: dict[str, str], book_value: str, price_to_book: str
) -> None:
    # Was 6.65 / 0.01 = 665.0000, and a 500 once the book value rounded to 0.00 cents.
    form = client.get("/finance/valuation/residual-income")
    calc = GROUPS[0].calculators[0]
    values = {**calc.examples(), "book_value": book_value, "csrf_token": csrf_from(form.text)}
    posted = client.post("/finance/valuation/residual-income", data=values)
    assert posted.status_code == 200, posted.text[-500:]
    figures = re.findall(
        r'<span class="number">([^<]*)</span><span class="label">([^<]*)</span>', posted.text
    )
    shown = {html.unescape(label): html.unescape(number) for number, label in figures}
    assert shown["Price to book"] == price_to_book, shown
    body = read_form(calc.request, calc.fields, values).model_dump(mode="json", exclude_unset=True)
    api = _api(client, calc, body, staff)
    assert api.status_code == 200, api.text
    expected = None if price_to_book == "—" else float(price_to_book.replace(",", ""))
    assert api.json()["price_to_book"] == pytest.approx(expected, abs=1e-4)
