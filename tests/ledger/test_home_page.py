"""The dashboard home through HTTP on SQLite and PostgreSQL: its figures are the ledger's report
for the chosen period, it asks for the owner's rates before showing any, the timer records
hours, a refused form stores nothing, and each role sees and does what it may."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from evergreen.db import Database, utcnow
from evergreen.ledger import queries, service
from evergreen.ledger.models import HoursEntry, Preferences, RunningTimer, Stream
from evergreen.ledger.rules import Figures, Rates, StreamKind, trailing_year
from tests.http_helpers import csrf_from, sign_in

D = Decimal
RATES = Rates(D(50), D("0.10"))


def _money(value: Decimal) -> str:
    return f"{value.quantize(D('0.01'), rounding=ROUND_HALF_UP) + 0:,.2f}"


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _table(page: str, table_id: str) -> dict[str, dict[str, str]]:
    """{stream id or "total": {figure: text}} of one table on the page."""
    start = page.index(f'id="{table_id}"')
    body = page[start : page.index("</table>", start)]
    rows = {}
    for key, row in re.findall(r'<tr data-stream="(\w+)">(.*?)</tr>', body, re.S):
        cells = re.findall(r'data-figure="(\w+)">(.*?)</td>', row, re.S)
        rows[key] = {name: _text(cell) for name, cell in cells}
    return rows


def _month(day: date) -> date:
    return day.replace(day=1)


def _before(day: date) -> date:
    return _month(_month(day) - timedelta(days=1))


def _set_rates(db: Database) -> None:
    with db.session() as session:
        service.set_preferences(session, hourly_rate=D(50), required_return=D("0.10"))


def _business(db: Database, today: date) -> dict[str, int]:
    """Three streams: a passive blog, an active course with its own rate, a book in EUR."""
    m0, m1 = _month(today), _before(today)
    m2 = _before(m1)
    with db.session() as session:
        blog = service.add_stream(
            session, service.StreamDraft("Blog", StreamKind.AFFILIATE, "USD", m2), today
        )
        course = service.add_stream(
            session,
            service.StreamDraft("Course", StreamKind.DIGITAL_PRODUCT, "USD", m2, hourly_rate=D(80)),
            today,
        )
        book = service.add_stream(
            session, service.StreamDraft("Book", StreamKind.ROYALTIES, "EUR", m2), today
        )
        service.add_capital(session, blog, m2, D(5000))
        service.add_income(session, blog, m0, D(1200))
        service.add_cost(session, blog, m0, D(100))
        service.add_hours(session, blog, m0, D(2))
        service.add_income(session, blog, m1 + timedelta(days=5), D("800.55"))
        service.add_hours(session, blog, m1, D(10))
        service.add_income(session, course, m0, D(500))
        service.add_hours(session, course, m0, D(6))
        service.add_cost(session, course, m1, D(50))
        service.add_income(session, book, m0, D(40))
        return {"blog": blog.id, "course": course.id, "book": book.id}


def _expected_rows(db: Database, start: date, end: date, today: date) -> dict[str, dict[str, str]]:
    with db.session() as session:
        report = queries.report(session, start, end, RATES, "USD")
        out: dict[str, dict[str, str]] = {}
        values = D(0)
        for row in report.rows:
            stream = session.get(Stream, row.id)
            assert stream is not None
            worth = queries.valuation(session, stream, min(end, today), RATES)
            if row.currency == "USD":
                values += worth.value
            out[str(row.id)] = _shown(row.figures, worth.value)
        out["total"] = _shown(report.total, values)
    return out


def _shown(figures: Figures, value: Decimal) -> dict[str, str]:
    shown = {
        name: _money(getattr(figures, name))
        for name in ("income", "costs", "owner_time_charge", "capital_charge", "residual_income")
    }
    shown["hours"] = f"{figures.hours.quantize(D('0.01')):f}"
    per_hour = figures.residual_income / figures.hours if figures.hours else None
    shown["per_hour"] = "—" if per_hour is None else _money(per_hour)
    shown["value"] = _money(value)
    return shown


def test_the_home_page_shows_the_report_for_each_period(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    today = utcnow().date()
    _set_rates(db)
    ids = _business(db, today)
    sign_in(client, people["owner"])
    m2 = _before(_before(today))
    periods = {
        "": trailing_year(today),  # the default: a full year on any day
        "this_month": (_month(today), today),
        "last_month": (_before(today), _month(today) - timedelta(days=1)),
        "year_to_date": (today.replace(month=1, day=1), today),
        "trailing_12_months": trailing_year(today),
        f"custom&from={m2}&to={today}": (m2, today),
    }
    for query, (start, end) in periods.items():
        page = client.get(f"/?period={query}")
        assert page.status_code == 200, query
        assert f"{start} to {end}, USD" in page.text, query
        assert _table(page.text, "streams") == _expected_rows(db, start, end, today), query
    for stream_id in ids.values():
        assert f'href="/ledger/streams/{stream_id}?' in page.text
    assert page.text.count('<svg class="sparkline"') == 3  # a trend per stream
    assert "Streams in EUR are shown in their own currency" in page.text


def test_the_passive_share_and_what_changed_since_last_month(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    today = utcnow().date()
    _set_rates(db)
    ids = _business(db, today)
    sign_in(client, people["owner"])
    page = client.get("/?period=this_month").text
    # This month the blog took 2 h (under 5: passive), the course 6 h; the EUR book is apart.
    share = (D(1200) / D(1700) * 100).quantize(D("0.1"), rounding=ROUND_HALF_UP)
    assert re.search(rf'id="passive-share"><span class="number">{share} %<', page)
    last = _before(today)
    same_end = min(last + timedelta(days=today.day - 1), _month(today) - timedelta(days=1))
    with db.session() as session:
        now = queries.report(session, _month(today), today, RATES, "USD")
        before = queries.report(session, last, same_end, RATES, "USD")
    changes = _table(page, "changes")
    ri = now.total.residual_income - before.total.residual_income
    income = now.total.income - before.total.income
    assert changes["total"]["ri_change"] == ("+" if ri > 0 else "") + _money(ri)
    assert changes["total"]["income_change"] == ("+" if income > 0 else "") + _money(income)
    blog_before = {row.id: row.figures for row in before.rows}[ids["blog"]]
    assert changes[str(ids["blog"])]["income_change"] == "+" + _money(D(1200) - blog_before.income)


def test_the_page_asks_for_the_rates_before_any_figure(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    today = utcnow().date()
    _business(db, today)
    sign_in(client, people["staff"])
    staff_view = client.get("/")
    assert "First: what your time and capital cost" in staff_view.text
    assert 'id="rates-form"' not in staff_view.text  # the owner sets them
    client.cookies.clear()
    sign_in(client, people["owner"])
    page = client.get("/")
    assert page.status_code == 200
    assert 'id="rates-form"' in page.text
    assert 'id="streams"' not in page.text  # no figure with a silent zero rate
    answer = client.post(
        "/ledger/preferences",
        data={"csrf_token": csrf_from(page.text), "hourly_rate": "50",
              "required_return": "0.10", "next": "/"},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["location"] == "/?done=rates-saved"
    after = client.get(answer.headers["location"]).text
    assert "Rates saved" in after
    assert 'id="rates-form"' not in after
    assert _table(after, "streams") == _expected_rows(db, *trailing_year(today), today)


def test_a_new_installation_starts_with_a_first_stream(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _set_rates(db)
    sign_in(client, people["owner"])
    page = client.get("/").text
    assert "Add your first income stream" in page
    assert "<code>evergreen demo</code>" in page
    assert 'id="timer"' not in page
    answer = client.post(
        "/ledger/streams",
        data={"csrf_token": csrf_from(page), "name": "  My e-book ", "kind": "digital_product",
              "currency": "eur", "started_on": "2026-02-01", "recurring": "yes",
              "required_return": "0.12", "next": "/"},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.headers["location"] == "/?done=stream-added"
    with db.session() as session:
        stream = service.stream_named(session, "My e-book")
        assert (stream.kind, stream.currency, stream.started_on, stream.recurring) == (
            "digital_product", "EUR", date(2026, 2, 1), True,
        )  # fmt: skip
        assert stream.required_return == D("0.12")
        assert stream.hourly_rate is None
    after = client.get("/").text
    assert "Add your first income stream" not in after
    assert 'id="timer-start"' in after


def test_the_demo_button_posts_to_the_demo_and_its_outcome_is_said(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _set_rates(db)
    sign_in(client, people["staff"])
    assert 'action="/ledger/demo"' not in client.get("/").text  # the owner's to load
    client.cookies.clear()
    sign_in(client, people["owner"])
    page = client.get("/").text
    assert re.search(r'<form method="post" action="/ledger/demo"[^>]*>\s*<input type="hidden" '
                     r'name="csrf_token"', page)  # fmt: skip
    assert "Load a demo year" in page
    assert "A demo year is loaded" in client.get("/?demo=loaded").text
    assert "only into an installation that has no streams" in client.get("/?demo=refused").text


def test_the_timer_starts_stops_and_records_the_hours(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _set_rates(db)
    ids = _business(db, utcnow().date())
    sign_in(client, people["owner"])
    token = csrf_from(client.get("/").text)
    started = client.post(
        "/ledger/timer/start",
        data={"csrf_token": token, "stream": str(ids["course"]), "memo": "Recording lesson 3",
              "next": "/?period=last_month"},
        follow_redirects=False,
    )  # fmt: skip
    assert started.headers["location"] == "/?period=last_month&done=timer-started"
    page = client.get(started.headers["location"]).text
    assert "Timing" in page
    assert "Recording lesson 3" in page
    assert 'id="timer-clock"' in page
    assert 'action="/ledger/timer/stop"' in page
    with db.session() as session:  # as if it had run for 90 minutes
        timer = session.scalar(select(RunningTimer))
        assert timer is not None
        assert timer.stream_id == ids["course"]
        session.execute(
            update(RunningTimer).values(started_at=timer.started_at - timedelta(minutes=90))
        )
        before = session.scalar(select(func.count()).select_from(HoursEntry))
    stopped = client.post("/ledger/timer/stop", data={"csrf_token": token}, follow_redirects=False)
    assert stopped.headers["location"] == "/?done=timer-stopped"
    with db.session() as session:
        assert session.scalar(select(RunningTimer)) is None
        timed = session.scalars(select(HoursEntry).where(HoursEntry.source == "timer")).all()
        assert len(timed) + before == len(session.scalars(select(HoursEntry)).all())
    assert {entry.stream_id for entry in timed} == {ids["course"]}
    assert D("1.5") <= sum(entry.hours for entry in timed) < D("1.6")
    assert {entry.memo for entry in timed} == {"Recording lesson 3"}
    again = client.post("/ledger/timer/stop", data={"csrf_token": token}, follow_redirects=False)
    assert again.headers["location"] == "/?problem=no-timer"
    assert "No timer was running" in client.get(again.headers["location"]).text


def test_starting_the_timer_without_a_real_stream_stores_nothing(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _set_rates(db)
    _business(db, utcnow().date())
    sign_in(client, people["owner"])
    token = csrf_from(client.get("/").text)
    for stream in ("", "999999", "x", "²", "1" * 30):
        answer = client.post("/ledger/timer/start", data={"csrf_token": token, "stream": stream},
                             follow_redirects=False)  # fmt: skip
        assert answer.headers["location"] == "/?problem=no-stream", stream
    assert "Choose a stream to time" in client.get(answer.headers["location"]).text
    with db.session() as session:
        assert session.scalar(select(RunningTimer)) is None


REFUSED_STREAMS = [
    ({"name": ""}, 400, "name: is empty"),
    ({"name": "Blog"}, 409, "a stream named &#39;Blog&#39; exists already"),
    ({"name": "New", "kind": "lottery"}, 400, "kind: &#39;lottery&#39; is not a stream kind"),
    ({"name": "New", "currency": "US"}, 400, "currency: &#39;US&#39; is not a three-letter"),
    ({"name": "New", "started_on": "2026-13-01"}, 400, "started on: &#39;2026-13-01&#39;"),
    ({"name": "New", "hourly_rate": "-5"}, 400, "hourly rate: must be between 0 and"),
    ({"name": "New", "required_return": "8%"}, 400, "required return: &#39;8%&#39; is not"),
    ({"name": "New", "required_return": "1.5"}, 400, "required return: must be between"),
]


def test_a_refused_stream_says_what_to_fix_and_stores_nothing(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _set_rates(db)
    _business(db, utcnow().date())
    sign_in(client, people["owner"])
    token = csrf_from(client.get("/ledger/streams").text)
    for values, status, message in REFUSED_STREAMS:
        answer = client.post("/ledger/streams", data={"csrf_token": token, **values})
        assert answer.status_code == status, values
        assert message in answer.text, values
        assert f'value="{html.escape(values["name"])}"' in answer.text  # kept, to be fixed
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Stream)) == 3


REFUSED_PREFERENCES = [
    ({"hourly_rate": "", "required_return": "0.1"}, "hourly rate: is empty"),
    ({"hourly_rate": "abc", "required_return": "0.1"}, "hourly rate: &#39;abc&#39; is not"),
    ({"hourly_rate": "50", "required_return": ""}, "required return: is empty"),
    ({"hourly_rate": "50", "required_return": "0.1234567"}, "has too many digits"),
    ({"hourly_rate": "50", "required_return": "0.1", "currency": "dollars"}, "currency:"),
    ({"hourly_rate": "50", "required_return": "0.1", "passive_hours": "800"}, "passive hours"),
    ({"hourly_rate": "50", "required_return": "0.1", "passive_hours": "5.125"}, "more than 2"),
]


def test_refused_preferences_say_what_to_fix_and_store_nothing(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    sign_in(client, people["owner"])
    token = csrf_from(client.get("/ledger/preferences").text)
    for values, message in REFUSED_PREFERENCES:
        answer = client.post("/ledger/preferences", data={"csrf_token": token, **values})
        assert answer.status_code == 400, values
        assert message in answer.text, values
    with db.session() as session:
        assert session.scalar(select(Preferences)) is None


REFUSED_PERIODS = [
    ("period=decade", "period: &#39;decade&#39; is not a period"),
    ("period=custom&from=2026-05-01&to=2026-04-01", "to: 2026-04-01 is before 2026-05-01"),
    ("period=custom&from=2026-5-1&to=2026-06-01", "from: &#39;2026-5-1&#39; is not a date"),
    ("period=custom&from=0001-01-01&to=2026-06-01", "from: 0001-01-01 is outside"),
    ("period=custom&from=2000-01-01&to=2026-06-01", "longer than ten years"),
    ("period=custom&from=2026-01-01&to=9999-12-31", "to: 9999-12-31 is outside"),
]


def test_a_period_that_cannot_be_shown_says_why(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _set_rates(db)
    _business(db, utcnow().date())
    sign_in(client, people["owner"])
    for query, message in REFUSED_PERIODS:
        answer = client.get(f"/?{query}")
        assert answer.status_code == 400, query
        assert message in answer.text, query
        assert 'id="streams"' not in answer.text


def test_staff_read_the_ledger_and_only_the_owner_changes_it(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _set_rates(db)
    ids = _business(db, utcnow().date())
    sign_in(client, people["staff"])
    home = client.get("/")
    assert home.status_code == 200
    assert 'id="streams"' in home.text
    assert 'id="timer-start"' not in home.text
    for path in ("/ledger/streams", "/ledger/preferences"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert '<button type="submit">' not in page.text.split("<main>", 1)[1], path
    token = csrf_from(home.text)
    for path, data in (
        ("/ledger/streams", {"name": "Staff stream"}),
        ("/ledger/preferences", {"hourly_rate": "1", "required_return": "0"}),
        ("/ledger/timer/start", {"stream": str(ids["blog"])}),
        ("/ledger/timer/stop", {}),
    ):
        refused = client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)
        assert refused.status_code == 403, path
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Stream)) == 3
        assert service.preferences(session).hourly_rate == D(50)
        assert session.scalar(select(RunningTimer)) is None
    client.cookies.clear()
    sign_in(client, people["partner"])
    assert client.get("/ledger/streams").status_code == 403
    assert client.get("/", follow_redirects=False).headers["location"] == "/portal"
    client.cookies.clear()
    answer = client.get("/ledger/streams", follow_redirects=False)
    assert answer.headers["location"] == "/login?next=/ledger/streams"


def test_the_ledger_address_lists_the_streams(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _set_rates(db)
    ids = _business(db, utcnow().date())
    sign_in(client, people["owner"])
    answer = client.get("/ledger", follow_redirects=False)
    assert answer.headers["location"] == "/ledger/streams"
    listing = client.get("/ledger/streams").text
    for name, stream_id in (("Blog", ids["blog"]), ("Course", ids["course"])):
        assert f'<a href="/ledger/streams/{stream_id}">{name}</a>' in listing
    assert "80.00" in listing  # the course's own hourly rate
