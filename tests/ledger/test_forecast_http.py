"""A stream's stored forecast over HTTP (SQLite and PostgreSQL): the API stores, reads and
removes it (the owner writes, staff read, refusals name `years[i]`), the value follows it in
the API and on the stream's page, whose form saves it or shows each refusal beside its box."""

from __future__ import annotations

import html
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient

from evergreen.db import Database
from evergreen.ledger import queries, service
from evergreen.ledger.models import Stream
from evergreen.ledger.rules.forecast import check_forecast, forecast_bridge
from evergreen.money import cents
from tests.cli_helpers import evergreen
from tests.http_helpers import csrf_from, sign_in
from tests.ledger.api_helpers import API, callers, refused
from tests.ledger.test_stream_page import MARCH, RATES, _figure, _money, _seed

D = Decimal


def _valuation(db: Database, stream_id: int) -> queries.Valuation:
    with db.session(writer=False) as session:
        stream = session.get(Stream, stream_id)
        assert stream is not None
        return queries.valuation(session, stream, date(2026, 3, 31), RATES)


def _stored(db: Database, stream_id: int) -> service.StoredForecast | None:
    with db.session(writer=False) as session:
        stream = session.get(Stream, stream_id)
        assert stream is not None
        return service.stream_forecast(session, stream)


def test_the_api_stores_reads_replaces_and_removes_a_forecast(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    blog = _seed(db)
    who = callers(db, people)
    url = f"{API}/streams/{blog}/forecast"
    refused(client.get(url, headers=who["owner"]), 404)
    body = {"years": ["12000", "13000.5", "-250"], "continuing": "persistence",
            "persistence": "0.5"}  # fmt: skip
    saved = client.put(url, json=body, headers=who["owner"])
    assert saved.status_code == 200, saved.text
    shown = saved.json()
    assert shown["years"] == [
        {"year": 1, "residual_income": "12000.00"},
        {"year": 2, "residual_income": "13000.50"},
        {"year": 3, "residual_income": "-250.00"},
    ]
    assert (shown["continuing"], shown["persistence"]) == ("persistence", "0.5")
    assert client.get(url, headers=who["staff"]).json() == shown
    # The value answers with the forecast beside the trailing year's, to the cent.
    value = client.get(f"{API}/streams/{blog}/value?as_of=2026-03-31", headers=who["staff"]).json()
    trailing = _valuation(db, blog)
    bridge = forecast_bridge(check_forecast(body["years"], "persistence", "0.5"),
                             trailing.capital, RATES.required_return)  # fmt: skip
    assert value["value"] == str(cents(trailing.value))
    assert value["forecast"]["value"] == str(cents(bridge.value))
    assert [y["present_value"] for y in value["forecast"]["years"]] == [
        str(cents(y.present_value)) for y in bridge.years
    ]
    assert value["forecast"]["continuing_residual_income"] == "-125.00"  # 0.5 x -250
    replaced = client.put(url, json={"years": ["900"]}, headers=who["owner"]).json()
    assert (replaced["years"], replaced["continuing"]) == (
        [{"year": 1, "residual_income": "900.00"}], "none"
    )  # fmt: skip
    assert client.delete(url, headers=who["owner"]).status_code == 204
    assert client.delete(url, headers=who["owner"]).status_code == 204  # gone already is fine
    refused(client.get(url, headers=who["owner"]), 404)
    after = client.get(f"{API}/streams/{blog}/value?as_of=2026-03-31", headers=who["owner"])
    assert after.json()["forecast"] is None


def test_the_api_refuses_what_it_cannot_store_and_names_the_field(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    blog = _seed(db)
    who = callers(db, people)
    url = f"{API}/streams/{blog}/forecast"
    client.put(url, json={"years": ["100"]}, headers=who["owner"])
    for body, field in (
        ({"years": ["100", "200", "lots"]}, "years[2]"),
        ({"years": []}, "years"),
        ({"years": ["1"] * 31}, "years"),
        ({"years": ["NaN"]}, "years[0]"),
        ({"years": ["100"], "continuing": "forever"}, "continuing"),
        ({"years": ["100"], "continuing": "persistence"}, "persistence"),
        ({"years": ["100"], "continuing": "persistence", "persistence": "2"}, "persistence"),
        ({"years": ["100"], "persistence": "0.5"}, "persistence"),
    ):
        refused(client.put(url, json=body, headers=who["owner"]), 422, field)
    # A JSON number is refused before any rule: money never passes through a float.
    assert client.put(url, json={"years": [100.5]}, headers=who["owner"]).status_code == 422
    refused(client.put(url, json={"years": ["1"]}, headers=who["staff"]), 403)
    refused(client.delete(url, headers=who["staff"]), 403)
    refused(client.put(url, json={"years": ["1"]}), 401)
    refused(client.put(f"{API}/streams/999999/forecast", json={"years": ["1"]},
                       headers=who["owner"]), 404)  # fmt: skip
    stored = _stored(db, blog)
    assert stored is not None
    assert stored.plan.years == (D(100),)  # nothing refused replaced it


def _form(token: str, years: list[str], continuing: str, persistence: str = "") -> dict[str, str]:
    boxes = {f"years[{i}]": text for i, text in enumerate(years)}
    return {"csrf_token": token, "back": MARCH, "continuing": continuing,
            "persistence": persistence, **boxes}  # fmt: skip


def test_the_page_saves_a_forecast_and_values_the_stream_with_it(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    blog = _seed(db)
    sign_in(client, people["owner"])
    page = client.get(f"/ledger/streams/{blog}?{MARCH}").text
    trailing = _valuation(db, blog)
    assert _figure(page, "value-figure") == _money(trailing.value)
    assert page.count('name="years[') == 5  # a box a year, blank
    # Boxes after the last year are left blank; ω is ignored unless RI fades by it.
    data = _form(csrf_from(page), ["12000", "13000", "14000", "", ""], "perpetuity", "0.9")
    answer = client.post(f"/ledger/streams/{blog}/forecast", data=data, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/ledger/streams/{blog}?{MARCH}&done=forecast"
    stored = _stored(db, blog)
    assert stored is not None
    assert (stored.plan.years, stored.plan.persistence) == ((D(12000), D(13000), D(14000)), None)
    page = client.get(answer.headers["location"]).text
    bridge = forecast_bridge(stored.plan, trailing.capital, RATES.required_return)
    assert _figure(page, "value-figure") == _money(bridge.value)
    assert "Value from your forecast" in page
    assert "from your forecast: 3 years, then the last year&#39;s RI forever" in page
    assert bridge.continuing_value == D(14000) / D("0.12")
    for year in bridge.years:
        assert _money(year.present_value) in page
    # The trailing-year value is still shown beside it, and the form shows what is stored.
    assert f"your forecast gives {_money(bridge.value)}" in page
    assert 'name="years[2]" value="14000.00"' in page
    assert page.count('name="years[') == 5  # three years and two blank boxes
    assert '<option value="perpetuity" selected>' in page
    # A forecast tried in the address is shown in place of the saved one, which stays.
    tried = client.get(f"/ledger/streams/{blog}?{MARCH}&forecast=100&persistence=0").text
    assert "Value with your forecast (not saved)" in tried
    assert _figure(tried, "value-figure") == _money(trailing.capital + D(100) / D("1.12"))
    # Removed, the stream is valued on its last twelve months again.
    token = csrf_from(page)
    removed = client.post(
        f"/ledger/streams/{blog}/forecast/remove",
        data={"csrf_token": token, "back": MARCH},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert _stored(db, blog) is None
    page = client.get(removed.headers["location"]).text
    assert _figure(page, "value-figure") == _money(trailing.value)
    assert "Forecast removed" in page


def test_a_refused_forecast_form_shows_each_refusal_beside_its_box(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    blog = _seed(db)
    sign_in(client, people["owner"])
    token = csrf_from(client.get(f"/ledger/streams/{blog}?{MARCH}").text)
    for years, continuing, omega, message, box in (
        (["12000", "13000", "lots"], "none", "", "year 3: &#39;lots&#39; is not a number",
         "years[2]"),
        (["12000", "", "9000"], "none", "", "year 2: is empty", "years[1]"),
        (["12000"], "persistence", "", "persistence: is needed", "persistence"),
        (["12000"], "persistence", "1.5", "persistence: must be between 0 and 1", "persistence"),
        ([], "none", "", "years: is empty", "years[0]"),
    ):  # fmt: skip
        answer = client.post(f"/ledger/streams/{blog}/forecast",
                             data=_form(token, years, continuing, omega))  # fmt: skip
        assert answer.status_code == 400
        assert f"Not saved: {message}" in answer.text
        assert re.search(rf'name="{re.escape(box)}" [^>]*aria-invalid="true"', answer.text)
        for text in years:  # what was typed stays in its box
            assert f'value="{html.escape(text)}"' in answer.text
        assert "2026-03-01 to 2026-03-31" in answer.text  # the period the owner was looking at
    assert _stored(db, blog) is None


def test_staff_see_the_value_but_not_the_form_and_cannot_save(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    blog = _seed(db)
    with db.session() as session:
        stream = session.get(Stream, blog)
        assert stream is not None
        service.set_forecast(session, stream, ["5000"], "none")
    sign_in(client, people["staff"])
    page = client.get(f"/ledger/streams/{blog}?{MARCH}").text
    assert "Value from your forecast" in page
    assert 'id="forecast-form"' not in page
    token = csrf_from(page)
    for path in ("forecast", "forecast/remove"):
        answer = client.post(f"/ledger/streams/{blog}/{path}",
                             data=_form(token, ["1"], "none"), follow_redirects=False)  # fmt: skip
        assert answer.status_code == 403
    stored = _stored(db, blog)
    assert stored is not None
    assert stored.plan.years == (D(5000),)


def _cli(data: Path, *args: str) -> tuple[int, str, str]:
    done = evergreen(*args, data_dir=data, database_url=None)
    return done.returncode, done.stdout, done.stderr


def test_the_command_line_saves_shows_refuses_and_clears(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _cli(data, "streams", "add", "Blog", "--kind", "affiliate")[0] == 0
    code, out, _err = _cli(data, "streams", "forecast", "Blog", "--years", "1200,1500,1800",
                           "--continuing", "persistence", "--persistence", "0.6")  # fmt: skip
    assert code == 0
    assert "years 1200.00, 1500.00, 1800.00; then persistence (ω = 0.6)" in out
    code, out, _err = _cli(data, "streams", "forecast", "Blog", "--json")
    shown = json.loads(out)
    assert (shown["years"], shown["continuing"], shown["persistence"]) == (
        ["1200.00", "1500.00", "1800.00"], "persistence", "0.6"
    )  # fmt: skip
    for args, words in (
        (("--years", "1200,x"), "years[1]: 'x' is not a number"),
        (("--years", "1200", "--continuing", "persistence"), "persistence: is needed"),
        (("--years", "1200", "--continuing", "sometimes"), "continuing: 'sometimes' is not"),
    ):
        code, out, err = _cli(data, "streams", "forecast", "Blog", *args)
        assert code == 2
        assert words in err
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
    code, _out, err = _cli(data, "streams", "forecast", "Nothing", "--years", "1")
    assert code == 2
    assert "no stream named 'Nothing'" in err
    assert json.loads(_cli(data, "streams", "forecast", "Blog", "--json")[1])["years"] == [
        "1200.00",
        "1500.00",
        "1800.00",
    ]  # nothing refused replaced it
    code, out, _err = _cli(data, "streams", "forecast", "Blog", "--clear")
    assert code == 0
    assert "Removed the forecast of Blog" in out
    assert _cli(data, "streams", "forecast", "Blog", "--json")[1].strip() == "null"


def test_a_forecast_these_rates_cannot_value_is_kept_and_said_so(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    blog = _seed(db)
    who = callers(db, people)
    client.patch(f"{API}/streams/{blog}", json={"required_return": "0"}, headers=who["owner"])
    url = f"{API}/streams/{blog}/forecast"
    body = {"years": ["100"], "continuing": "perpetuity"}
    assert client.put(url, json=body, headers=who["owner"]).status_code == 200
    # ω given: the stream's estimate is 1, which r = 0 cannot value on the trailing year either.
    value = client.get(f"{API}/streams/{blog}/value?as_of=2026-03-31&persistence=0.5",
                       headers=who["owner"])  # fmt: skip
    assert value.status_code == 200, value.text
    assert value.json()["forecast"] is None
    assert "needs a required return above 0" in value.json()["forecast_problem"]
    sign_in(client, people["owner"])
    page = client.get(f"/ledger/streams/{blog}?{MARCH}&persistence=0.5")
    assert page.status_code == 200
    assert "Your saved forecast cannot value the stream with these rates" in page.text
    assert "Value from your forecast" not in page.text
    assert 'name="years[0]" value="100.00"' in page.text  # kept, to change the rates or it
