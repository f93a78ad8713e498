"""A stream's page over HTTP (SQLite and PostgreSQL): its figures are the ledger's queries, the
entries behind each figure add up to it, the forms write (or refuse and store nothing), a
reversal asks first and then restores the figures, and only the owner writes."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evergreen.db import Database, utcnow
from evergreen.ledger import queries, service
from evergreen.ledger.models import HoursEntry, JournalEntry, Stream
from evergreen.ledger.rules import Figure, Rates, StreamKind
from evergreen.ledger.rules.value import multistage_bridge, trailing_year
from tests.http_helpers import csrf_from, sign_in

D = Decimal
MARCH = "from=2026-03-01&to=2026-03-31"
RATES = Rates(D(40), D("0.12"))


def _seed(db: Database) -> int:
    """A blog with a year of income, costs, hours and capital; the owner's rates saved."""
    with db.session() as session:
        service.set_preferences(session, hourly_rate=RATES.hourly_rate,
                                required_return=RATES.required_return)  # fmt: skip
        blog = service.add_stream(
            session, service.StreamDraft("Blog", StreamKind.AFFILIATE), date(2025, 4, 1)
        )
        service.add_capital(session, blog, date(2025, 4, 1), D(6000), "Laptop and theme")
        for month in range(4, 16):
            year, mo = 2025 + (month - 1) // 12, (month - 1) % 12 + 1
            service.add_income(session, blog, date(year, mo, 3), D(900) + 25 * month, "Network")
            service.add_income(session, blog, date(year, mo, 20), D("149.5"), "Royalties",
                               account="Income:Royalties")  # fmt: skip
            service.add_cost(session, blog, date(year, mo, 8), D("35.25"), "Hosting")
            service.add_hours(session, blog, date(year, mo, 12), D("6.5"))
        service.add_capital(session, blog, date(2026, 3, 16), D(-1000), "Took some out")
        service.add_hours(session, blog, date(2026, 3, 25), D("1.25"), "Newsletter")
        other = service.add_stream(session, service.StreamDraft("Course", StreamKind.OTHER),
                                   date(2025, 1, 1))  # fmt: skip
        service.add_income(session, other, date(2026, 3, 4), D(5000), "Not the blog's")
        return blog.id


def _stream(db: Database, stream_id: int) -> Stream:
    with db.session() as session:
        stream = session.get(Stream, stream_id)
        assert stream is not None
        session.expunge(stream)
        return stream


def _figure(page: str, name: str) -> str:
    found = re.search(rf'id="{name}"[^>]*>.*?<span class="number">([^<]+)</span>', page, re.S)
    assert found, f"no figure {name}"
    return found.group(1)


def _money(value: Decimal) -> str:
    return f"{value.quantize(D('0.01')) + 0:,f}"


def _number(text: str) -> Decimal:
    return D(text.replace(",", ""))


def _owner(client: TestClient, people: dict[str, str], stream_id: int, role: str = "owner") -> str:
    sign_in(client, people[role])
    page = client.get(f"/ledger/streams/{stream_id}?{MARCH}")
    assert page.status_code == 200, page.text
    return csrf_from(page.text)


def _post(client: TestClient, url: str, token: str, **data: str) -> Any:
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def _counts(db: Database) -> tuple[int, int]:
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(JournalEntry)) or 0,
            session.scalar(select(func.count()).select_from(HoursEntry)) or 0,
        )


def _march(db: Database, stream_id: int) -> Any:
    with db.session() as session:
        stream = session.get(Stream, stream_id)
        assert stream is not None
        return queries.stream_figures(session, [stream], date(2026, 3, 1), date(2026, 3, 31),
                                      RATES)[stream_id]  # fmt: skip


@pytest.fixture
def blog(db: Database) -> int:
    return _seed(db)


def test_the_figures_are_the_ledgers_queries(
    client: TestClient, db: Database, people: dict[str, str], blog: int
) -> None:
    sign_in(client, people["staff"])
    page = client.get(f"/ledger/streams/{blog}?{MARCH}").text
    expected = _march(db, blog)
    assert _figure(page, "figure-income") == _money(expected.income) == "1,424.50"
    assert _figure(page, "figure-costs") == _money(expected.costs) == "35.25"
    assert _figure(page, "figure-hours") == "7.75"
    assert _figure(page, "figure-time") == _money(expected.owner_time_charge) == "310.00"
    assert _figure(page, "figure-capital") == _money(expected.capital_charge)
    assert _figure(page, "figure-ri") == _money(expected.residual_income)
    per_hour = expected.residual_income / expected.hours
    assert _figure(page, "figure-per-hour") == _money(per_hour)
    # The capital charge's working: 6000 for 15 days, 5000 for 16 days, x 12 % / 365.
    capital_days = D(6000) * 15 + D(5000) * 16
    assert capital_days * D("0.12") / 365 == expected.capital_charge
    working = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    times = "\N{MULTIPLICATION SIGN}"
    charge = _money(expected.capital_charge)
    assert f"{_money(capital_days)} {times} 0.12 ÷ 365 = {charge}" in working
    assert f"7.75 {times} 40.00 = 310.00" in working
    assert "Course" not in page
    assert "5,000.00" not in working.split("Capital at the end")[0]


@pytest.mark.parametrize("figure", [Figure.INCOME, Figure.COSTS, Figure.CAPITAL])
def test_the_entries_behind_a_figure_add_up_to_it(
    client: TestClient, db: Database, people: dict[str, str], blog: int, figure: Figure
) -> None:
    sign_in(client, people["staff"])
    page = client.get(f"/ledger/streams/{blog}/entries?figure={figure.value}&{MARCH}")
    assert page.status_code == 200
    rows = re.findall(r'<tr id="tx-(\d+)">.*?<td class="num">([^<]+)</td>', page.text, re.S)
    listed = sum((_number(amount) for _id, amount in rows), D(0))
    with db.session() as session:
        stream = session.get(Stream, blog)
        assert stream is not None
        lines = queries.entries_behind(session, stream, date(2026, 3, 1), date(2026, 3, 31),
                                       figure)  # fmt: skip
    assert [int(i) for i, _amount in rows] == [line.transaction_id for line in lines]
    figures = _march(db, blog)
    expected = {
        Figure.INCOME: figures.income,
        Figure.COSTS: figures.costs,
        Figure.CAPITAL: D(-1000),  # capital moved in March: one withdrawal
    }[figure]
    assert listed == expected
    assert re.search(r'id="listed-sum">([^<]+)<', page.text).group(1) == _money(expected)  # type: ignore[union-attr]
    assert "Reverse" not in page.text  # staff read only


def test_the_hours_behind_the_hours_figure(
    client: TestClient, people: dict[str, str], blog: int
) -> None:
    sign_in(client, people["owner"])
    page = client.get(f"/ledger/streams/{blog}/entries?figure=hours&{MARCH}").text
    assert re.findall(r'<td class="num">([^<]+)</td></tr>', page) == ["6.50", "1.25"]
    assert re.search(r'id="listed-sum">7.75<', page)
    assert "Newsletter" in page


def test_the_history_and_the_value_are_the_ledgers(
    client: TestClient, db: Database, people: dict[str, str], blog: int
) -> None:
    sign_in(client, people["owner"])
    page = client.get(f"/ledger/streams/{blog}?{MARCH}&months=24").text
    with db.session() as session:
        stream = session.get(Stream, blog)
        assert stream is not None
        history = queries.monthly_history(session, stream, date(2026, 3, 1), 24, RATES)
        valuation = queries.valuation(session, stream, date(2026, 3, 31), RATES)
    # Months before the stream started, empty, are left out; newest first.
    shown = re.findall(r'to=[\d-]+[^"]*">(\d{4}-\d\d)</a></td>', page)
    assert shown == [m.strftime("%Y-%m") for m, f in reversed(history) if m >= date(2025, 4, 1)]
    assert shown[0] == "2026-03"
    assert len(shown) == 12
    assert page.count('<svg class="sparkline"') == 6
    assert _figure(page, "value-figure") == _money(valuation.value)
    assert _figure(page, "ri-ttm") == _money(valuation.residual_income_ttm)
    # Not the sum of the calendar months above: the card names its 365 days.
    assert '<span class="hint" id="ri-ttm-days">2025-04-01 to 2026-03-31: 365 days' in page
    assert valuation.estimate is not None  # a year of history: ω is estimated, with its fit
    assert "estimated from the stream" in page
    assert f"R² = {valuation.estimate.r_squared:.2f}" in page
    assert 'id="value-bridge"' in page


def test_a_chosen_persistence_and_a_forecast_value_the_stream(
    client: TestClient, db: Database, people: dict[str, str], blog: int
) -> None:
    sign_in(client, people["staff"])
    page = client.get(f"/ledger/streams/{blog}?{MARCH}&persistence=0.5").text
    assert "your choice on this page" in page
    with db.session() as session:
        stream = session.get(Stream, blog)
        assert stream is not None
        chosen = queries.valuation(session, stream, date(2026, 3, 31), RATES, D("0.5"))
    assert _figure(page, "value-figure") == _money(chosen.value)
    forecast = client.get(
        f"/ledger/streams/{blog}?{MARCH}&persistence=0.5&forecast=12000,13000&continuing=9000"
    ).text
    bridge = multistage_bridge(chosen.capital, [D(12000), D(13000)], D(9000), D("0.12"), D("0.5"))
    assert _figure(forecast, "value-figure") == _money(bridge.value)
    assert "Value with your forecast" in forecast
    for year in bridge.years:
        assert _money(year.present_value) in forecast
    bad = client.get(f"/ledger/streams/{blog}?{MARCH}&forecast=12000,lots")
    assert bad.status_code == 400
    assert "forecast: &#39;lots&#39; is not a number" in bad.text
    assert _figure(bad.text, "figure-income") == "1,424.50"  # the rest of the page still shows


def test_a_bad_period_says_what_to_fix_and_shows_the_default_period(
    client: TestClient, people: dict[str, str], blog: int
) -> None:
    sign_in(client, people["staff"])
    page = client.get(f"/ledger/streams/{blog}?from=2026-03-31&to=2026-03-01")
    assert page.status_code == 400
    assert "must run forward" in page.text
    start, end = trailing_year(utcnow().date())
    assert f"{start} to {end}" in page.text


def test_the_trailing_year_is_the_default_and_presets_choose_others(
    client: TestClient, db: Database, people: dict[str, str], blog: int
) -> None:
    today = utcnow().date()
    with db.session() as session:
        stream = session.get(Stream, blog)
        assert stream is not None
        service.add_income(session, stream, today, D("77.70"), "Today")
    sign_in(client, people["owner"])
    page = client.get(f"/ledger/streams/{blog}?period=this_month").text
    assert _figure(page, "figure-income") == "77.70"
    assert 'class="active">This month' in page
    assert f"{today.replace(day=1)} to {today}" in page  # this month, to date
    default = client.get(f"/ledger/streams/{blog}").text
    assert 'class="active">Trailing 12 months' in default
    assert "{} to {}".format(*trailing_year(today)) in default
    last_month = client.get(f"/ledger/streams/{blog}?period=last_month").text
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    assert f"{first} to {today.replace(day=1) - timedelta(days=1)}" in last_month
    assert 'class="active">Last month' in last_month
    unknown = client.get(f"/ledger/streams/{blog}?period=someday")
    assert unknown.status_code == 400
    assert "is not a period" in unknown.text


@pytest.mark.parametrize(
    ("form", "data", "field", "check"),
    [
        ("income", {"date": "2026-03-30", "amount": "250", "memo": "Sponsor"}, "income", D(250)),
        ("costs", {"date": "2026-03-30", "amount": "99.99", "account": "Expenses:Ads"}, "costs",
         D("99.99")),
        ("hours", {"date": "2026-03-30", "hours": "2.25"}, "hours", D("2.25")),
    ],
)  # fmt: skip
def test_the_forms_add_entries_and_the_figures_follow(
    client: TestClient, db: Database, people: dict[str, str], blog: int,
    form: str, data: dict[str, str], field: str, check: Decimal,
) -> None:  # fmt: skip
    token = _owner(client, people, blog)
    before = _march(db, blog)
    answer = _post(client, f"/ledger/streams/{blog}/{form}", token, back=MARCH, **data)
    assert answer.status_code == 303
    done = "cost" if form == "costs" else form
    assert answer.headers["location"] == f"/ledger/streams/{blog}?{MARCH}&done={done}"
    after = _march(db, blog)
    assert getattr(after, field) - getattr(before, field) == check
    page = client.get(answer.headers["location"]).text
    assert _figure(page, "figure-ri") == _money(after.residual_income)
    assert 'role="status"' in page


def test_a_cost_goes_to_expenses_other_unless_an_account_is_given(
    client: TestClient, db: Database, people: dict[str, str], blog: int
) -> None:
    token = _owner(client, people, blog)
    _post(client, f"/ledger/streams/{blog}/costs", token, date="2026-03-30", amount="5")
    _post(client, f"/ledger/streams/{blog}/income", token, date="2026-03-30", amount="6")
    stream = _stream(db, blog)
    with db.session() as session:
        costs = queries.entries_behind(
            session, stream, date(2026, 3, 30), date(2026, 3, 30), Figure.COSTS
        )
        income = queries.entries_behind(
            session, stream, date(2026, 3, 30), date(2026, 3, 30), Figure.INCOME
        )
    assert [(c.account, c.amount) for c in costs] == [("Expenses:Other", D(5))]
    assert [(i.account, i.amount) for i in income] == [("Income:Other", D(-6))]


def test_capital_in_and_out(
    client: TestClient, db: Database, people: dict[str, str], blog: int
) -> None:
    token = _owner(client, people, blog)
    with db.session() as session:
        stream = session.get(Stream, blog)
        assert stream is not None
        before = queries.capital_at(session, stream, date(2026, 3, 31))
    for direction, amount in (("in", "2500"), ("out", "400")):
        answer = _post(client, f"/ledger/streams/{blog}/capital", token, date="2026-03-29",
                       amount=amount, direction=direction)  # fmt: skip
        assert answer.status_code == 303
    with db.session() as session:
        stream = session.get(Stream, blog)
        assert stream is not None
        assert queries.capital_at(session, stream, date(2026, 3, 31)) == before + 2100


@pytest.mark.parametrize(
    ("form", "data", "message"),
    [
        ("income", {"date": "2026-03-30", "amount": "-5"}, "amount: must be more than 0"),
        ("income", {"date": "2026-02-30", "amount": "5"},
         "date: &#39;2026-02-30&#39; is not a date"),
        ("costs", {"date": "2026-03-30", "amount": "ten"}, "amount: &#39;ten&#39; is not a number"),
        ("costs", {"date": "2026-03-30", "amount": "5", "account": "Costs:Ads"},
         "account: &#39;Costs:Ads&#39; is not an account"),
        ("capital", {"date": "2026-03-30", "amount": "5", "direction": "sideways"},
         "direction: choose whether"),
        ("capital", {"date": "2026-03-30", "amount": "0"}, "amount: must not be 0"),
        ("capital", {"date": "2026-03-30", "amount": "5000.01", "direction": "out"},
         "amount: takes 5000.01 USD of capital out, but the stream holds 5000.00 USD on "
         "2026-03-30"),
        ("hours", {"date": "2026-03-30", "hours": "25"},
         "hours: must be more than 0 and at most 24"),
        ("hours", {"date": "", "hours": "2"}, "is not a date"),
        ("income", {"date": "2026-03-30", "amount": "5", "memo": "x" * 501}, "memo: is 501"),
        ("rates", {"hourly_rate": "-1"}, "hourly rate: must be between 0 and 100000"),
        ("rates", {"required_return": "8"}, "required return: must be between 0 and 1"),
        ("rates", {"persistence": "1.2"}, "persistence: must be between 0 and 1"),
    ],
)  # fmt: skip
def test_bad_input_says_what_to_fix_and_stores_nothing(
    client: TestClient, db: Database, people: dict[str, str], blog: int,
    form: str, data: dict[str, str], message: str,
) -> None:  # fmt: skip
    token = _owner(client, people, blog)
    before, stream_before = _counts(db), _stream(db, blog)
    answer = _post(client, f"/ledger/streams/{blog}/{form}", token, back=MARCH, **data)
    assert answer.status_code == 400
    assert message in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert _counts(db) == before
    after = _stream(db, blog)
    assert (after.hourly_rate, after.required_return, after.persistence) == (
        stream_before.hourly_rate, stream_before.required_return, stream_before.persistence,
    )  # fmt: skip
    # What was typed stays in the form, and the page is the period the owner was looking at.
    for name, value in data.items():
        if name != "direction":  # a choice, not typed
            assert html.escape(value) in answer.text
    assert "2026-03-01 to 2026-03-31" in answer.text


def test_the_streams_own_rates_replace_the_defaults_until_cleared(
    client: TestClient, db: Database, people: dict[str, str], blog: int
) -> None:
    token = _owner(client, people, blog)
    answer = _post(client, f"/ledger/streams/{blog}/rates", token, back=MARCH,
                   hourly_rate="100", required_return="0.05", persistence="0.7")  # fmt: skip
    assert answer.status_code == 303
    page = client.get(answer.headers["location"]).text
    assert _figure(page, "figure-time") == "775.00"  # 7.75 h x 100
    assert "this stream&#39;s rate" in page
    assert "this stream&#39;s setting" in page
    with db.session() as session:
        stream = session.get(Stream, blog)
        assert stream is not None
        own = queries.stream_figures(session, [stream], date(2026, 3, 1), date(2026, 3, 31),
                                     RATES)[blog]  # fmt: skip
        valuation = queries.valuation(session, stream, date(2026, 3, 31), RATES)
    assert _figure(page, "figure-ri") == _money(own.residual_income)
    assert valuation.persistence == D("0.7")
    assert _figure(page, "value-figure") == _money(valuation.value)
    cleared = _post(client, f"/ledger/streams/{blog}/rates", token, hourly_rate="",
                    required_return="", persistence="")  # fmt: skip
    assert cleared.status_code == 303
    stream = _stream(db, blog)
    assert (stream.hourly_rate, stream.required_return, stream.persistence) == (None, None, None)


def test_without_rates_the_page_asks_for_them_and_shows_no_residual_income(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        stream = service.add_stream(session, service.StreamDraft("Bare", StreamKind.OTHER),
                                    date(2026, 1, 1))  # fmt: skip
        service.add_income(session, stream, date(2026, 3, 2), D(10))
        stream_id = stream.id
    sign_in(client, people["owner"])
    page = client.get(f"/ledger/streams/{stream_id}?{MARCH}")
    assert page.status_code == 200
    assert "needs your hourly rate and required return" in page.text
    assert _figure(page.text, "figure-income") == "10.00"
    assert _figure(page.text, "figure-ri") == "—"
    assert 'id="value-figure"' not in page.text


def test_a_reversal_asks_first_then_restores_the_figures(
    client: TestClient, db: Database, people: dict[str, str], blog: int
) -> None:
    token = _owner(client, people, blog)
    before = _march(db, blog)
    _post(client, f"/ledger/streams/{blog}/costs", token, date="2026-03-30", amount="500",
          memo="Mistyped", back=MARCH)  # fmt: skip
    assert abs(_march(db, blog).residual_income - (before.residual_income - 500)) < D("1e-20")
    listing = client.get(f"/ledger/streams/{blog}/entries?figure=costs&{MARCH}").text
    ids = re.findall(r'action="/ledger/streams/\d+/transactions/(\d+)/reverse"', listing)
    mistyped = ids[-1]
    url = f"/ledger/streams/{blog}/transactions/{mistyped}/reverse"
    asked = _post(client, url, token, back=MARCH)
    assert asked.status_code == 200
    assert f"Reverse transaction #{mistyped}?" in asked.text
    assert "Mistyped" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert _march(db, blog).costs == before.costs + 500  # nothing reversed yet
    done = _post(client, url, csrf_from(asked.text), back=MARCH, confirm="yes")
    assert done.status_code == 303
    assert done.headers["location"].endswith("&done=reversed")
    assert _march(db, blog) == before
    page = client.get(done.headers["location"]).text
    assert _figure(page, "figure-ri") == _money(before.residual_income)
    listing = client.get(f"/ledger/streams/{blog}/entries?figure=costs&{MARCH}").text
    assert "reversed by #" in listing
    assert f"reverses #{mistyped}" in listing
    assert f"/transactions/{mistyped}/reverse" not in listing  # no second button
    again = _post(client, url, token, back=MARCH, confirm="yes")
    assert again.status_code == 409
    assert "was reversed already" in again.text
    assert _march(db, blog) == before


def test_unknown_streams_and_transactions_are_404_pages(
    client: TestClient, db: Database, people: dict[str, str], blog: int
) -> None:
    token = _owner(client, people, blog)
    missing = client.get("/ledger/streams/999999")
    assert missing.status_code == 404
    assert "there is no stream 999999" in missing.text.lower()
    assert client.get("/ledger/streams/999999/entries").status_code == 404
    assert _post(client, "/ledger/streams/999999/income", token, date="2026-03-01",
                 amount="1").status_code == 404  # fmt: skip
    with db.session() as session:
        course = service.stream_named(session, "Course")
        foreign = queries.entries_behind(session, course, date(2026, 3, 1), date(2026, 3, 31),
                                         Figure.INCOME)[0].transaction_id  # fmt: skip
    # Another stream's transaction is not reversed through this stream's page.
    other = _post(client, f"/ledger/streams/{blog}/transactions/{foreign}/reverse", token,
                  confirm="yes")  # fmt: skip
    assert other.status_code == 404
    assert _post(client, f"/ledger/streams/{blog}/transactions/999999/reverse", token,
                 confirm="yes").status_code == 404  # fmt: skip
    assert client.get(f"/ledger/streams/{blog}/entries?figure=profit").status_code == 400


def test_staff_read_the_owner_writes_partners_and_strangers_are_kept_out(
    client: TestClient, db: Database, people: dict[str, str], blog: int
) -> None:
    token = _owner(client, people, blog, role="staff")
    page = client.get(f"/ledger/streams/{blog}?{MARCH}").text
    assert 'id="income-form"' not in page
    assert 'id="rates-form"' not in page
    before = _counts(db)
    for form, data in (("income", {"date": "2026-03-30", "amount": "5"}),
                       ("rates", {"hourly_rate": "1"})):  # fmt: skip
        refused = _post(client, f"/ledger/streams/{blog}/{form}", token, **data)
        assert refused.status_code == 403
    assert _counts(db) == before
    client.cookies.clear()
    assert (
        client.get(f"/ledger/streams/{blog}", follow_redirects=False)
        .headers["location"]
        .startswith("/login?next=")
    )
    sign_in(client, people["partner"])
    assert client.get(f"/ledger/streams/{blog}").status_code == 403
    client.cookies.clear()
    token = _owner(client, people, blog)
    page = client.get(f"/ledger/streams/{blog}?{MARCH}").text
    assert 'id="income-form"' in page
    forged = client.post(f"/ledger/streams/{blog}/income", data={"date": "2026-03-30",
                         "amount": "5"}, follow_redirects=False)  # fmt: skip
    assert forged.status_code == 403
    assert _counts(db) == before


def test_automatic_entries_are_corrected_at_their_source_not_reversed_here(
    client: TestClient, db: Database, people: dict[str, str], blog: int
) -> None:
    with db.session() as session:
        stream = session.get(Stream, blog)
        assert stream is not None
        key = "networks:earning:1:approved"
        entry = service.add_income(session, stream, date(2026, 3, 28), D("18.75"), "Impact",
                                   source="networks", source_key=key)  # fmt: skip
        entry_id = entry.id
    token = _owner(client, people, blog)
    listing = client.get(f"/ledger/streams/{blog}/entries?figure=income&{MARCH}").text
    assert f'<tr id="tx-{entry_id}">' in listing
    assert f"/transactions/{entry_id}/reverse" not in listing
    assert "automatic" in listing
    refused = _post(client, f"/ledger/streams/{blog}/transactions/{entry_id}/reverse", token,
                    confirm="yes")  # fmt: skip
    assert refused.status_code == 409
    assert "posted automatically (networks)" in refused.text
    with db.session() as session:
        assert queries.transaction(session, entry_id).reversed_by is None  # type: ignore[union-attr]


def test_this_months_row_is_its_days_so_far_as_this_months_figures_are(
    client: TestClient, db: Database, people: dict[str, str], blog: int
) -> None:
    """Capital still employed today is charged for the days that have passed, in the history
    as in the period: the month's row no longer charges the days to come."""
    sign_in(client, people["staff"])
    today = utcnow().date()
    first = today.replace(day=1)
    page = client.get(f"/ledger/streams/{blog}?period=this_month").text
    with db.session() as session:
        stream = session.get(Stream, blog)
        assert stream is not None
        so_far = queries.stream_figures(session, [stream], first, today, RATES)[blog]
    assert so_far.capital_charge > 0  # 5,000 still in the blog
    row = re.search(
        rf'to={today.isoformat()}[^"]*">{first:%Y-%m}</a>(.*?)</td>(.*?)</tr>', page, re.S
    )
    assert row, "this month's row links to its days so far"
    whole = (today + timedelta(days=1)).day == 1  # on its last day the month is whole
    marker = (
        ""
        if whole
        else f'<br><span class="hint partial-month">to {today.day} {today:%b}, so far</span>'
    )
    assert row.group(1) == marker, "a partial month says so"
    cells = re.findall(r'<td class="num[^"]*">([^<]*)</td>', row.group(2))
    assert cells[4:6] == [_money(so_far.capital_charge), _money(so_far.residual_income)]
