"""Two changes of one webinar at once: an offer or chat line never lands past the end of a
recording shortened at the same moment (the first was paused after it read the webinar: under
READ COMMITTED it checked its mark against the length it had read). Two guards that pass on
both databases without a lock of their own: two edits of different fields at once keep both (the
ORM writes only the fields an edit changed), and a registrant registering again while the owner
moves them keeps the owner's move (both write the person's audience row first, which makes the
second wait before it reads the registration)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.webinars import content, registrations, service
from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.models import WebinarRegistration
from tests.conftest import TEST_SECRET as SECRET
from tests.races import Work, race

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
DRAFT = service.WebinarDraft(
    name="masterclass", duration_minutes=60, schedule="weekly:wed:18:00", timezone="UTC"
)


def _webinar(db: Database) -> int:
    with db.session() as session:
        return service.add_webinar(session, DRAFT, NOW).id


def _change(webinar_id: int, **given: object) -> Work:
    def change(session: Session) -> object:
        return service.update_webinar(session, webinar_id, service.WebinarChanges(**given), NOW)  # type: ignore[arg-type]

    return change


def test_two_edits_of_different_fields_at_once_keep_both(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    webinar_id = _webinar(db)
    (_, first_error), (_, second_error) = race(
        db, monkeypatch, _change(webinar_id, title="The masterclass"),
        _change(webinar_id, replay_hours=72, presenter="Ana"),
        pause_at=(service, "_checked"),
    )  # fmt: skip
    assert (first_error, second_error) == (None, None)
    with db.session(writer=False) as session:
        row = service.get_webinar(session, webinar_id)
        assert (row.title, row.replay_hours, row.presenter) == ("The masterclass", 72, "Ana")


def _offer(webinar_id: int) -> Work:
    def add(session: Session) -> object:
        draft = content.OfferDraft(at_second=25 * 60, title="Course", url="https://shop.example/")
        return content.add_offer(session, webinar_id, draft)

    return add


def _chat_line(webinar_id: int) -> Work:
    def add(session: Session) -> object:
        draft = content.ChatDraft(at_second=25 * 60, question="Is it recorded?",
                                  asked_on="2026-11-02")  # fmt: skip
        return content.add_chat_line(session, webinar_id, draft)

    return add


@pytest.mark.parametrize("mark", [_offer, _chat_line], ids=["offer", "chat-line"])
def test_a_mark_and_a_shorter_recording_at_once_never_leave_it_past_the_end(
    db: Database, monkeypatch: pytest.MonkeyPatch, mark: object
) -> None:
    webinar_id = _webinar(db)
    (_, first_error), (_, second_error) = race(
        db, monkeypatch, mark(webinar_id),  # type: ignore[operator]
        _change(webinar_id, duration_minutes=10),
        pause_at=(content, "check_second"),
    )  # fmt: skip
    with db.session(writer=False) as session:
        duration = service.get_webinar(session, webinar_id).duration_minutes
        marks = [o.at_second for o in content.offers_of(session, webinar_id)]
        marks += [line.at_second for line in content.chat_of(session, webinar_id)]
    assert all(second < duration * 60 for second in marks), (duration, marks)
    if first_error is None:  # the mark came first: the shorter recording is refused
        assert isinstance(second_error, WebinarInputError), second_error
        assert "keep at least 26 minutes" in second_error.message
        assert (duration, marks) == (60, [25 * 60])
    else:  # the recording was shortened first: the mark is refused
        assert isinstance(first_error, WebinarInputError), first_error
        assert (second_error, duration, marks) == (None, 10, [])


def test_the_owner_moving_a_registrant_while_they_register_again_keeps_the_move(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jane's session has passed; she registers again on the public page (given the next
    session) while the owner moves her to a later one: the owner's move is never undone."""
    with db.session() as session:
        draft = service.WebinarDraft(name="daily", duration_minutes=45,
                                     schedule="daily:09:00,18:00", timezone="viewer")  # fmt: skip
        webinar_id = service.add_webinar(session, draft, NOW).id
        webinar = service.get_webinar(session, webinar_id)
        later = registrations.offered_sessions(webinar, "Europe/Paris", NOW)[2]
    _register_work(webinar_id, NOW - timedelta(days=2))(db)
    public = _register_work(webinar_id, NOW, public=True)
    owner = _register_work(webinar_id, NOW, session_start=later)
    (_, first_error), (_, second_error) = race(
        db, monkeypatch, public, owner, pause_at=(registrations, "pick_session")
    )
    assert (first_error, second_error) == (None, None)
    with db.session(writer=False) as session:
        row = session.scalars(select(WebinarRegistration)).one()
        assert row.session_start == later


def _register_work(
    webinar_id: int, now: datetime, *, public: bool = False, session_start: datetime | None = None
) -> _Registering:
    return _Registering(webinar_id, now, public, session_start)


class _Registering:
    """Jane registering (or the owner registering her) as one unit of work."""

    def __init__(
        self, webinar_id: int, now: datetime, public: bool, session_start: datetime | None
    ) -> None:
        self.args = (webinar_id, now, public, session_start)

    def __call__(self, target: Session | Database) -> object:
        if isinstance(target, Database):
            with target.session() as session:
                return self(session)
        webinar_id, now, public, start = self.args
        data = registrations.RegistrationInput(
            email="jane@example.com", viewer_timezone="Europe/Paris", session_start=start
        )
        return registrations.register(session=target, secret=SECRET, webinar_id=webinar_id,
                                      data=data, now=now, public=public)  # fmt: skip
