"""What people type into the ledger that it must refuse, the same on a page, at the command line
and in the API: hours dated after tomorrow (2099-01-01 was stored as time worked), a memo with a
direction mark (U+202E showed the entry reversed) and digits other than 0-9 (full-width 50 was
read as 50). Rules without a database; the services on SQLite and PostgreSQL; the page, the
command and the API as people meet them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evergreen.db import Database, utcnow
from evergreen.ledger import service
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import HoursEntry, JournalEntry, RunningTimer, Stream
from evergreen.ledger.rules import (
    StreamKind,
    check_memo,
    check_worked_day,
    parse_amount,
    parse_hours,
    parse_rate,
)
from evergreen.ledger.rules.timelog import read_timedot
from evergreen.ledger.rules.value import parse_signed
from evergreen.ledger.service.hours_import import import_hours
from tests.cli_helpers import evergreen, refused, succeeded
from tests.http_helpers import csrf_from, sign_in
from tests.ledger.api_helpers import API, callers
from tests.ledger.api_helpers import refused as api_refused

D = Decimal
TODAY = date(2026, 3, 10)
# Embeddings, overrides, isolates and marks: each makes the text around it show out of order.
DIRECTION = ["\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067", "\u2068",
             "\u2069", "\u200e", "\u200f", "\u061c"]  # fmt: skip
# Full-width 50 and 2, Arabic-Indic 5 and 50, extended Arabic-Indic 5, Devanagari 50, a superscript.
FIFTY, TWO, FIVE = "\uff15\uff10", "\uff12", "\u0665"
OTHER_DIGITS = [FIFTY, "\u0665\u0660", "\u06f5", "\u096b\u0966", f"1{TWO}.50", "\u00b2"]


def _far() -> date:
    """A day after tomorrow, whatever day the test runs."""
    return utcnow().date() + timedelta(days=3)


# --- rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [TODAY, TODAY + timedelta(days=1), date(1900, 1, 1)])
def test_time_worked_up_to_tomorrow_passes(day: date) -> None:
    assert check_worked_day(day, TODAY) == day


@pytest.mark.parametrize("day", [TODAY + timedelta(days=2), date(2099, 1, 1), date(2199, 12, 31)])
def test_time_worked_after_tomorrow_is_refused_naming_the_date(day: date) -> None:
    with pytest.raises(LedgerInputError) as refusal:
        check_worked_day(day, TODAY)
    assert refusal.value.field == "date"
    assert refusal.value.message == (
        f"{day} is in the future; record hours once worked, dated 2026-03-11 at the latest"
    )


@pytest.mark.parametrize("mark", DIRECTION)
def test_a_memo_with_a_direction_mark_is_refused(mark: str) -> None:
    with pytest.raises(LedgerInputError) as refusal:
        check_memo(f"Paid{mark}by card")
    assert refusal.value.field == "memo"
    assert f"direction mark (U+{ord(mark):04X})" in refusal.value.message


@pytest.mark.parametrize(("text", "said"), [("a\x00b", "NUL"), ("a\x07b", "U+0007"),
                                            ("a\rb", "U+000D"), ("a\x85b", "U+0085")])  # fmt: skip
def test_a_memo_with_a_control_character_is_refused(text: str, said: str) -> None:
    with pytest.raises(LedgerInputError) as refusal:
        check_memo(text, "line 3: memo")
    assert refusal.value.field == "line 3: memo"
    assert said in refusal.value.message


ANY_SCRIPT = ["", "Hosting \u2013 M\u00e4rz", "\u05e2\u05d1\u05e8\u05d9\u05ea and English",
              "\u062d\u0633\u0627\u0628", "a\tb\nc", "emoji \U0001f332"]  # fmt: skip


@pytest.mark.parametrize("text", ANY_SCRIPT)
def test_a_memo_in_any_script_passes_as_typed(text: str) -> None:
    assert check_memo(text) == text


@pytest.mark.parametrize("text", OTHER_DIGITS)
def test_amounts_hours_and_rates_take_the_digits_0_to_9_only(text: str) -> None:
    for read in (
        lambda: parse_amount(text),
        lambda: parse_amount(text, "amount", signed=True),
        lambda: parse_hours(text),
        lambda: parse_rate(text, "hourly_rate", low=D(0), high=D(1000), example="75"),
        lambda: parse_signed(text, "forecast"),
    ):
        with pytest.raises(LedgerInputError, match="type it with the digits 0-9"):
            read()


def test_a_full_width_zero_is_not_read_as_a_year_of_nothing() -> None:
    with pytest.raises(LedgerInputError, match="digits 0-9"):
        parse_signed("\uff10", "forecast")
    assert parse_signed("0", "forecast") == 0


def test_timedot_hours_take_the_digits_0_to_9_only() -> None:
    with pytest.raises(LedgerInputError) as refusal:
        read_timedot(["2026-01-05", f"Blog  {FIVE}h"])
    assert refusal.value.field == "line 2: quantity"


# Python's ways of writing a number that no one types in a box for money or hours.
PYTHONISMS = [("1e3", "an exponent"), ("1E-2", "an exponent"), ("-2.5e+1", "an exponent"),
              (".5E1", "an exponent"), ("1_000", "an underscore"), ("1_000.50", "an underscore"),
              (" 1e3 ", "an exponent")]  # fmt: skip


def _readers(text: str) -> list[tuple[str, Callable[[], Decimal]]]:
    """Every ledger reader of a typed number, with the field it names and its example."""
    return [
        ("amount", lambda: parse_amount(text)),
        ("capital", lambda: parse_amount(text, "capital", signed=True)),
        ("hours", lambda: parse_hours(text)),
        ("hourly_rate",
         lambda: parse_rate(text, "hourly_rate", low=D(0), high=D(10_000), example="75")),
        ("forecast", lambda: parse_signed(text, "forecast")),
    ]  # fmt: skip


@pytest.mark.parametrize(("text", "what"), PYTHONISMS)
def test_exponents_and_underscores_are_refused_saying_to_type_plain_digits(
    text: str, what: str
) -> None:
    examples = {"amount": "1000.00", "capital": "1000.00", "hours": "1.5", "hourly_rate": "75",
                "forecast": "1000.00"}  # fmt: skip
    for field, read in _readers(text):
        with pytest.raises(LedgerInputError) as refusal:
            read()
        assert refusal.value.field == field
        assert refusal.value.message == (
            f"{text.strip()!r} has {what}; write it as plain digits with at most one point, "
            f"e.g. {examples[field]}"
        )


@pytest.mark.parametrize("text", ["NaN", "nan", "-Infinity", "inf", "+Inf", "sNaN", "NaN12"])
def test_not_a_number_and_infinity_in_any_spelling_are_refused(text: str) -> None:
    for field, read in _readers(text):
        with pytest.raises(LedgerInputError) as refusal:
            read()
        assert refusal.value.field == field
        assert refusal.value.message == f"must be a finite number, not {text}"


@pytest.mark.parametrize("text", ["+ 5", "- 5", "1,000", "1.000,50", "1.2.3", "--5", "5 5",
                                  "0x10", ".", "+", "e3", "1e", "5%", "$5"])  # fmt: skip
def test_other_shapes_are_not_numbers(text: str) -> None:
    for field, read in _readers(text):
        with pytest.raises(LedgerInputError) as refusal:
            read()
        assert refusal.value.field == field
        assert refusal.value.message == f"{text!r} is not a number; write it like 1234.50"


@pytest.mark.parametrize(
    ("text", "value"),
    [("12.50", "12.50"), ("+5", "5"), (" 7.25 ", "7.25"), (".5", "0.5"), ("5.", "5"),
     ("0012", "12"), ("3", "3")],
)  # fmt: skip
def test_plain_decimals_as_people_type_them_pass(text: str, value: str) -> None:
    for _field, read in _readers(text):
        assert read() == D(value)
    assert parse_amount("1200.50") == D("1200.50")
    assert parse_amount("-12.5", signed=True) == D("-12.5")


# --- services --------------------------------------------------------------------------------


def _blog(db: Database) -> int:
    with db.session() as session:
        blog = service.add_stream(
            session, service.StreamDraft("Blog", StreamKind.AFFILIATE), date(2026, 1, 1)
        )
        return blog.id


def _counts(db: Database) -> tuple[int, int, int]:
    with db.session(writer=False) as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (JournalEntry, HoursEntry, RunningTimer)
        )


def _add_hours(db: Database, blog_id: int, day: date) -> None:
    with db.session() as session:
        service.add_hours(session, session.get_one(Stream, blog_id), day, D(2))


def test_the_hours_service_refuses_time_after_tomorrow(db: Database) -> None:
    blog_id = _blog(db)
    for day in (_far(), date(2099, 1, 1)):
        with pytest.raises(LedgerInputError) as refusal:
            _add_hours(db, blog_id, day)
        assert refusal.value.field == "date"
    assert _counts(db) == (0, 0, 0)
    today = utcnow().date()  # tomorrow, for an owner ahead of UTC, and today pass
    _add_hours(db, blog_id, today + timedelta(days=1))
    _add_hours(db, blog_id, today)
    assert _counts(db) == (0, 2, 0)


def test_every_memo_the_service_stores_refuses_a_direction_mark(db: Database) -> None:
    blog_id = _blog(db)
    memo, on = "Hosting\u202eYLNO", date(2026, 3, 2)
    with db.session() as session:
        kept = service.add_hours(session, session.get_one(Stream, blog_id), on, D(1), "plain")
        kept_id = kept.id
    writes = [
        lambda s, b: service.add_income(s, b, on, D(5), memo),
        lambda s, b: service.add_cost(s, b, on, D(5), memo),
        lambda s, b: service.add_capital(s, b, on, D(5), memo),
        lambda s, b: service.add_capital(s, b, on, D(-5), memo),
        lambda s, b: service.add_asset(s, b, on, D(5), "Assets:Equipment:Camera", memo),
        lambda s, b: service.add_hours(s, b, on, D(1), memo),
        lambda s, b: service.change_hours(s, kept_id, memo=memo),
        lambda s, b: service.start_timer(s, b, datetime.now(UTC), memo),
    ]
    for write in writes:
        with pytest.raises(LedgerInputError) as refusal, db.session() as session:
            write(session, session.get_one(Stream, blog_id))
        assert refusal.value.field == "memo"
        assert "direction mark (U+202E)" in refusal.value.message
    assert _counts(db) == (0, 1, 0)
    with db.session(writer=False) as session:
        assert session.get_one(HoursEntry, kept_id).memo == "plain"


@pytest.mark.parametrize(
    ("log", "field"),
    [
        ("{far}\nBlog  1.5\n", "line 4: date"),
        ("2026-01-05 draft\u202eing\nBlog  1.5\n", "line 4: memo"),
        ("2026-01-05 draft\x00ing\nBlog  1.5\n", "line 4: memo"),  # PostgreSQL stores no NUL
    ],
)
def test_a_time_log_is_refused_whole_as_hours_by_hand_are(
    db: Database, log: str, field: str
) -> None:
    _blog(db)
    lines = ("2026-01-04\nBlog  1\n" + log.format(far=_far().isoformat())).splitlines()
    with pytest.raises(LedgerInputError) as refusal, db.session() as session:
        import_hours(session, lines, "timedot")
    assert refusal.value.field == field
    assert _counts(db) == (0, 0, 0)


# --- the stream page -------------------------------------------------------------------------


PAGE_REFUSED = [
    ("hours", {"hours": "2", "date": "2099-01-01"}, "date: 2099-01-01 is in the future"),
    ("hours", {"hours": "2", "memo": "Wrote\u202eit"}, "memo: contains a direction mark"),
    ("hours", {"hours": TWO}, f"hours: &#39;{TWO}&#39; has digits other than 0-9"),
    ("income", {"amount": FIFTY}, f"amount: &#39;{FIFTY}&#39; has digits other than 0-9"),
    ("income", {"amount": "5", "memo": "Payout\u202e"}, "memo: contains a direction mark"),
    ("costs", {"amount": FIVE}, "has digits other than 0-9"),
    ("costs", {"amount": "5", "memo": "\u2067Hosting"}, "memo: contains a direction mark"),
    ("capital", {"amount": FIFTY, "direction": "in"}, "has digits other than 0-9"),
    ("capital", {"amount": "5", "direction": "out", "memo": "\u202dX"}, "direction mark"),
    ("assets", {"amount": "5", "account": "Assets:Equipment:Camera", "memo": "\u200fCam"},
     "memo: contains a direction mark"),
]  # fmt: skip


@pytest.mark.parametrize(("form", "values", "message"), PAGE_REFUSED)
def test_the_stream_page_refuses_with_the_field_and_keeps_the_form(
    client: TestClient, db: Database, people: dict[str, str],
    form: str, values: dict[str, str], message: str,
) -> None:  # fmt: skip
    blog = _blog(db)
    sign_in(client, people["owner"])
    token = csrf_from(client.get(f"/ledger/streams/{blog}").text)
    answer = client.post(
        f"/ledger/streams/{blog}/{form}",
        data={"csrf_token": token, "date": "2026-03-05", **values},
        follow_redirects=False,
    )
    assert answer.status_code == 400, answer.text[:300]
    assert message in answer.text
    typed = values.get("amount", values.get("hours", ""))
    assert f'value="{typed}"' in answer.text  # the form comes back as typed
    assert _counts(db) == (0, 0, 0)


def test_a_nul_in_a_memo_keeps_the_form(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    blog = _blog(db)
    sign_in(client, people["owner"])
    token = csrf_from(client.get(f"/ledger/streams/{blog}").text)
    typed = {"csrf_token": token, "date": "2026-03-05", "amount": "12.50", "memo": "a\x00b"}
    answer = client.post(f"/ledger/streams/{blog}/income", data=typed, follow_redirects=False)
    assert answer.status_code == 400
    assert "memo: contains a NUL character" in answer.text  # the field is named either way
    assert _counts(db) == (0, 0, 0)
    assert 'value="12.50"' in answer.text  # the form, as typed


def test_the_time_entry_page_refuses_a_direction_mark_in_the_memo(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    blog = _blog(db)
    with db.session() as session:
        entry = service.add_hours(session, session.get_one(Stream, blog), date(2026, 3, 2), D(1))
        entry_id = entry.id
    sign_in(client, people["owner"])
    address = f"/ledger/streams/{blog}/hours/{entry_id}"
    token = csrf_from(client.get(address).text)
    typed = {"csrf_token": token, "hours": "1.5", "memo": "Edited\u202e"}
    answer = client.post(address, data=typed, follow_redirects=False)
    assert answer.status_code == 400, answer.text[:300]
    assert "memo: contains a direction mark (U+202E)" in answer.text
    with db.session(writer=False) as session:
        stored = session.get_one(HoursEntry, entry_id)
        assert (stored.hours, stored.memo) == (D(1), "")


# --- the command line and the API ------------------------------------------------------------


def test_the_command_line_refuses_each_with_the_field(tmp_path: Path) -> None:
    data = tmp_path / "data"

    def run(*args: str) -> CompletedProcess[str]:
        return evergreen(*args, data_dir=data, database_url=None)

    succeeded(run("streams", "add", "Blog"))
    hours = ("hours", "add", "--stream", "Blog", "--hours", "2", "--date")
    refused(run(*hours, "2099-01-01"), "date: 2099-01-01 is in the future")
    refused(run(*hours, _far().isoformat()), "is in the future")
    refused(run(*hours, "2026-01-01", "--memo", "a\u202eb"), "memo: contains a direction mark")
    refused(run("hours", "add", "--stream", "Blog", "--date", "2026-01-01", "--hours", TWO),
            f"hours: '{TWO}' has digits other than 0-9")  # fmt: skip
    entry = ("ledger", "add", "--stream", "Blog", "--date", "2026-01-02", "--type", "income")
    refused(run(*entry, "--amount", FIFTY), f"amount: '{FIFTY}' has digits other than 0-9")
    refused(run(*entry, "--amount", "50", "--memo", "x\u202ey"), "memo: contains a direction")
    capital = ("capital", "add", "--stream", "Blog", "--date", "2026-01-02")
    refused(run(*capital, "--amount", f"-{FIFTY}"), f"amount: '-{FIFTY}' has digits other")
    refused(run(*capital, "--amount", "5", "--memo", "\u2066x"), "memo: contains a direction")
    log = tmp_path / "week.timedot"
    log.write_text(f"2026-01-05\nBlog  1\n{_far().isoformat()}\nBlog  2\n", encoding="utf-8")
    refused(run("hours", "import", str(log)), "line 4: date")
    assert "Blog" not in succeeded(run("hours", "list"))  # nothing was stored
    assert "transaction" not in succeeded(run("ledger", "export"))


def test_the_api_refuses_each_with_the_field(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = callers(db, people)["owner"]
    blog = _blog(db)
    hours = {"stream_id": blog, "hours": "2"}
    refusals = [
        ("/hours", {**hours, "date": "2099-01-01"}, "date"),
        ("/hours", {**hours, "date": _far().isoformat()}, "date"),
        ("/hours", {**hours, "date": "2026-01-01", "hours": TWO}, "hours"),
        ("/income", {"stream_id": blog, "date": "2026-01-01", "amount": FIFTY}, "amount"),
        ("/costs", {"stream_id": blog, "date": "2026-01-01", "amount": FIVE}, "amount"),
        ("/capital", {"stream_id": blog, "date": "2026-01-01", "amount": f"-{FIVE}"}, "amount"),
        ("/income", {"stream_id": blog, "date": "2026-01-01", "amount": "5",
                     "memo": "a\u202eb"}, "memo"),
    ]  # fmt: skip
    for path, body, field in refusals:
        api_refused(client.post(f"{API}{path}", json=body, headers=owner), 422, field)
    assert _counts(db) == (0, 0, 0)
