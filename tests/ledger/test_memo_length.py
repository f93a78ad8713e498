"""A memo typed by a person is kept whole or refused, never cut: 501 characters were stored as
500 by the hours service, the timer and a time log's import. The rule without a database; the
services, the import, the command line, the API and the dashboard's timer on SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
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
from evergreen.ledger.rules import StreamKind, check_memo
from evergreen.ledger.service.hours_import import import_hours
from tests.cli_helpers import evergreen, refused, succeeded
from tests.http_helpers import csrf_from, sign_in
from tests.ledger.api_helpers import API, callers
from tests.ledger.api_helpers import refused as api_refused

D = Decimal
LONG = "Drafted the launch email " + "x" * 476  # 501 characters
FULL = LONG[:500]
TOO_LONG = "memo: is 501 characters long; the limit is 500"


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


def _memos(db: Database) -> list[str]:
    with db.session(writer=False) as session:
        return list(session.scalars(select(HoursEntry.memo).order_by(HoursEntry.id)))


# --- the rule --------------------------------------------------------------------------------


def test_a_memo_of_500_characters_passes_whole() -> None:
    assert len(LONG) == 501
    assert check_memo(FULL) == FULL


def test_a_memo_past_500_characters_is_refused_naming_its_field() -> None:
    with pytest.raises(LedgerInputError) as refusal:
        check_memo(LONG)
    assert str(refusal.value) == TOO_LONG
    with pytest.raises(LedgerInputError) as refusal:
        check_memo("é" * 900, "line 3: memo")
    assert refusal.value.field == "line 3: memo"
    assert refusal.value.message.startswith("is 900 characters long")


# --- the services ----------------------------------------------------------------------------


def test_every_typed_memo_the_services_store_is_refused_past_500_not_cut(db: Database) -> None:
    blog_id, on = _blog(db), date(2026, 3, 2)
    with db.session() as session:
        kept = service.add_hours(session, session.get_one(Stream, blog_id), on, D(1), "plain")
        kept_id = kept.id
    writes = [
        lambda s, b: service.add_hours(s, b, on, D(1), LONG),
        lambda s, b: service.change_hours(s, kept_id, memo=LONG),
        lambda s, b: service.change_hours(s, kept_id, D(2), LONG),
        lambda s, b: service.start_timer(s, b, datetime.now(UTC), LONG),
        lambda s, b: service.add_income(s, b, on, D(5), LONG),
        lambda s, b: service.add_cost(s, b, on, D(5), LONG),
        lambda s, b: service.add_capital(s, b, on, D(5), LONG),
    ]
    for write in writes:
        with pytest.raises(LedgerInputError) as refusal, db.session() as session:
            write(session, session.get_one(Stream, blog_id))
        assert str(refusal.value) == TOO_LONG
    assert _counts(db) == (0, 1, 0)
    with db.session(writer=False) as session:
        stored = session.get_one(HoursEntry, kept_id)
        assert (stored.hours, stored.memo) == (D(1), "plain")


def test_500_characters_are_stored_whole_by_hand_and_by_the_timer(db: Database) -> None:
    blog_id = _blog(db)
    started = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with db.session() as session:
        blog = session.get_one(Stream, blog_id)
        entry = service.add_hours(session, blog, date(2026, 3, 1), D(1), FULL)
        service.change_hours(session, entry.id, memo=FULL[::-1])
        service.start_timer(session, blog, started, FULL)
        service.stop_timer(session, started.replace(hour=10))
    assert _memos(db) == [FULL[::-1], FULL]


@pytest.mark.parametrize(
    ("log", "format", "field"),
    [
        (f"2026-01-05\nBlog  1\n2026-01-06 {LONG}\nBlog  1.5\n", "timedot", "line 4: memo"),
        (f"i 2026-01-05 09:00 Blog  short\no 2026-01-05 10:00\n"
         f"i 2026-01-06 09:00 Blog  {LONG}\no 2026-01-06 10:00\n", "timeclock", "line 3: memo"),
    ],
)  # fmt: skip
def test_a_time_log_with_a_long_memo_is_refused_at_its_line(
    db: Database, log: str, format: str, field: str
) -> None:
    _blog(db)
    with pytest.raises(LedgerInputError) as refusal, db.session() as session:
        import_hours(session, log.splitlines(), format)
    assert refusal.value.field == field
    assert refusal.value.message == "is 501 characters long; the limit is 500"
    assert _counts(db) == (0, 0, 0)  # the whole log, as for any other bad line
    with db.session() as session:
        import_hours(session, log.replace(LONG, FULL).splitlines(), format)
    assert _memos(db)[-1] == FULL


# --- the command line, the API and the dashboard's timer --------------------------------------


def test_the_command_line_refuses_a_long_memo_in_one_line(
    tmp_path: Path, database_url: str
) -> None:
    def run(*args: str) -> CompletedProcess[str]:
        return evergreen(*args, data_dir=tmp_path / "data", database_url=database_url)

    succeeded(run("streams", "add", "Blog"))
    day = utcnow().date().isoformat()
    adding = ("hours", "add", "--stream", "Blog", "--date", day, "--hours", "1", "--memo")
    refused(run(*adding, LONG), TOO_LONG)
    log = tmp_path / "week.timedot"
    log.write_text(f"{day} {LONG}\nBlog  1\n", encoding="utf-8")
    refused(run("hours", "import", str(log)), "line 2: memo: is 501 characters")
    assert "Blog" not in succeeded(run("hours", "list"))
    succeeded(run(*adding, FULL))
    assert "Drafted the launch email" in succeeded(run("hours", "list"))


def test_the_api_refuses_a_long_memo_naming_it(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = callers(db, people)["owner"]
    blog = _blog(db)
    hours = {"stream_id": blog, "date": "2026-03-02", "hours": "1"}
    api_refused(client.post(f"{API}/hours", json={**hours, "memo": LONG}, headers=owner),
                422, "memo")  # fmt: skip
    api_refused(client.post(f"{API}/timer/start", json={"stream_id": blog, "memo": LONG},
                            headers=owner), 422, "memo")  # fmt: skip
    assert _counts(db) == (0, 0, 0)
    added = client.post(f"{API}/hours", json={**hours, "memo": FULL}, headers=owner)
    assert added.status_code == 201, added.text
    assert added.json()["memo"] == FULL


TIMER_REFUSED = [
    (LONG, "memo: is 501 characters long; the limit is 500"),
    ("Editing\u202echapter", "memo: contains a direction mark (U+202E)"),
    ("Editing\x00chapter", "memo: contains a NUL character"),
]


@pytest.mark.parametrize(("memo", "message"), TIMER_REFUSED)
def test_the_dashboard_timer_shows_a_refused_memo_beside_its_form_as_typed(
    client: TestClient, db: Database, people: dict[str, str], memo: str, message: str
) -> None:
    _blog(db)
    with db.session() as session:
        service.set_preferences(session, hourly_rate=D(50), required_return=D("0.10"))
        course = service.add_stream(
            session, service.StreamDraft("Course", StreamKind.OTHER), date(2026, 1, 1)
        )
        course_id = course.id
    sign_in(client, people["owner"])
    token = csrf_from(client.get("/").text)
    typed = {"csrf_token": token, "stream": str(course_id), "memo": memo,
             "next": "/?period=last_month"}  # fmt: skip
    answer = client.post("/ledger/timer/start", data=typed, follow_redirects=False)
    assert answer.status_code == 400, answer.text[:300]
    page = answer.text
    timer = page[page.index('id="timer"') : page.index("</section>", page.index('id="timer"'))]
    assert "The timer was not started: " + message in timer  # in the timer's own panel
    form = timer[timer.index('id="timer-start"') :]
    assert re.search(rf'<option value="{course_id}" selected>Course</option>', form)
    assert 'name="next" value="/?period=last_month"' in form  # back to the period shown
    if "\x00" not in memo:
        assert f'value="{memo}"' in form  # as typed
        assert re.search(r'<input name="memo"[^>]*aria-invalid="true"', form)
    assert '<option value="last_month" selected>' in page  # the period the owner had
    sidebar = page[page.index('<nav class="sidebar"') : page.index("</nav>")]
    assert re.findall(r'<a href="([^"]*)" class="active">', sidebar) == ["/"]  # Dashboard only
    assert _counts(db) == (0, 0, 0)
