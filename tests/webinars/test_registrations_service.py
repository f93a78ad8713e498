"""Registrations on SQLite and PostgreSQL: the assigned session, the same registration when
registering again (a passed session re-picked), consent in the audience's ledger only when
ticked, bad input refused by field, and the confirmation mail at a real SMTP server."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from evergreen.audience import queries as audience_queries
from evergreen.audience import service as audience
from evergreen.audience.models import Subscriber
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.errors import InputError
from evergreen.mail.transactional import send_now
from evergreen.webinars import queries, registrations, service
from evergreen.webinars.models import WebinarRegistration
from evergreen.webinars.rules import iso_utc
from tests.conftest import TEST_SECRET
from tests.mail.smtp_server import smtp_server

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
WORDING = "Yes, add me to the Masterclass list for related emails."


def _webinar(db: Database, *, with_list: bool = True, double: bool = False) -> int:
    with db.session() as session:
        list_id = (
            audience.create_list(session, "Masterclass list", double_opt_in=double).id
            if with_list
            else None
        )
        draft = service.WebinarDraft(
            name="masterclass",
            title="The Masterclass",
            presenter="Ana",
            duration_minutes=45,
            schedule="daily:09:00,18:00",
            timezone="viewer",
            slug="masterclass",
            list_id=list_id,
            consent_wording=WORDING if with_list else "",
        )
        return service.add_webinar(session, draft, NOW).id


def _register(db: Database, webinar_id: int, now: datetime = NOW, **given: object) -> tuple:  # type: ignore[type-arg]
    data = registrations.RegistrationInput(
        **{"email": "Jane@Example.com", "viewer_timezone": "Europe/Paris", **given}  # type: ignore[arg-type]
    )
    with db.session() as session:
        done = registrations.register(session, TEST_SECRET, webinar_id, data, now)
        return (
            done.registration.id,
            done.created,
            done.registration.session_start,
            done.confirm_tokens,
        )


def test_registering_assigns_the_session_and_records_consent(db: Database) -> None:
    webinar_id = _webinar(db)
    first = _register(db, webinar_id, consent=True, name="Jane", source={"channel": "yt", "x": "1"})
    reg_id, created, start, tokens = first
    assert created
    assert tokens == []
    # 12:00 UTC is 13:00 in Paris: the next 18:00 Paris is 17:00 UTC.
    assert iso_utc(start) == "2026-12-07T17:00:00Z"
    again = _register(db, webinar_id, NOW + timedelta(hours=1), email="jane@example.com")
    assert again[:3] == (reg_id, False, start)
    with db.session(writer=False) as session:
        (card,) = queries.registrations_of(session, webinar_id)
        person = audience_queries.find_by_email(session, "jane@example.com")
        assert person is not None
        ledger = audience_queries.history(session, card.subscriber_id)
    assert card.source == {"channel": "yt"}
    assert card.viewer_timezone == "Europe/Paris"
    assert card.email == "Jane@example.com"
    assert card.name == "Jane"
    assert person.lists == {"Masterclass list": "subscribed"}
    assert ledger is not None
    (event,) = ledger.consent
    assert (event.source, event.wording) == ("webinar", WORDING)
    assert "/w/masterclass" in event.form
    assert [a.kind for a in ledger.activity] == ["registered"]


def test_a_passed_session_is_re_picked_and_a_chosen_one_kept(db: Database) -> None:
    webinar_id = _webinar(db, with_list=False)
    reg_id, _, start, _ = _register(db, webinar_id)
    later = start + timedelta(hours=2)
    again = _register(db, webinar_id, later, viewer_timezone="Asia/Tokyo")
    assert again[0] == reg_id
    assert again[2] > later
    with db.session(writer=False) as session:
        offered = registrations.offered_sessions(
            service.get_webinar(session, webinar_id), "Asia/Tokyo", later
        )
    chosen = _register(
        db, webinar_id, later, viewer_timezone="Asia/Tokyo", session_start=offered[2]
    )
    assert chosen[2] == offered[2]


def test_a_session_chosen_on_a_page_shown_before_it_left_the_offer_is_kept(db: Database) -> None:
    # Every 15 minutes, the first at least 15 minutes ahead: the page shown at 11:59:58 offered
    # 12:15, which a post at 12:00:01 no longer offers; the person gets what they chose.
    with db.session() as session:
        draft = service.WebinarDraft(
            name="jit", duration_minutes=30, schedule="jit:15", timezone="viewer", slug="jit"
        )
        webinar_id = service.add_webinar(session, draft, NOW).id
    shown_at, posted = NOW - timedelta(seconds=2), NOW + timedelta(seconds=1)
    with db.session(writer=False) as session:
        webinar = service.get_webinar(session, webinar_id)
        on_page = registrations.offered_sessions(webinar, "UTC", shown_at)
        offered_now = registrations.offered_sessions(webinar, "UTC", posted)
    assert on_page[0] == NOW + timedelta(minutes=15)
    assert on_page[0] not in offered_now
    given = {"viewer_timezone": "UTC", "session_start": on_page[0]}
    with pytest.raises(InputError) as refused:  # without the page's time it is not offered
        _register(db, webinar_id, posted, email="a@example.com", **given)
    assert refused.value.field == "session_start"
    kept = _register(db, webinar_id, posted, email="b@example.com", shown_at=shown_at, **given)
    assert kept[2] == on_page[0]
    begun = on_page[0] + timedelta(seconds=30)
    with pytest.raises(InputError) as gone:  # once it has begun, it is no longer choosable
        _register(db, webinar_id, begun, email="c@example.com", shown_at=shown_at, **given)
    assert gone.value.field == "session_start"


def test_no_consent_joins_no_list_and_double_opt_in_gives_a_token(db: Database) -> None:
    webinar_id = _webinar(db, double=True)
    _register(db, webinar_id, email="no@example.com")
    _, _, _, tokens = _register(db, webinar_id, email="yes@example.com", consent=True)
    assert [name for name, _ in tokens] == ["Masterclass list"]
    with db.session(writer=False) as session:
        no = audience_queries.find_by_email(session, "no@example.com")
        yes = audience_queries.find_by_email(session, "yes@example.com")
    assert no is not None
    assert no.lists == {}
    assert yes is not None
    assert yes.lists == {"Masterclass list": "unconfirmed"}


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"viewer_timezone": "Mars/Base"}, "viewer_timezone"),
        ({"email": "not an address"}, "email"),
        ({"session_start": NOW + timedelta(minutes=7)}, "session_start"),
    ],
)
def test_bad_input_is_refused_by_field_and_stores_nothing(
    db: Database, given: dict[str, object], field: str
) -> None:
    webinar_id = _webinar(db)
    with pytest.raises(InputError) as refused:
        _register(db, webinar_id, **given)
    assert refused.value.field == field
    with db.session(writer=False) as session:
        assert session.scalar(select(WebinarRegistration.id)) is None


def test_the_confirmation_mail_arrives_with_the_local_time_and_links(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    webinar_id = _webinar(db)
    data = registrations.RegistrationInput(
        email="jane@example.com", viewer_timezone="America/New_York", name="Jane"
    )
    with db.session() as session:
        done = registrations.register(session, TEST_SECRET, webinar_id, data, NOW)
        links = registrations.links_for(
            TEST_SECRET, "https://x.example", done.webinar, done.registration.id
        )
        message = registrations.confirmation_mail(done, links, "https://x.example")
        ics = registrations.ics_for(done.webinar, done.registration, links, NOW)
    assert b"DTSTART:20261207T140000Z" in ics  # 09:00 in New York
    with smtp_server() as (handler, port):
        settings = Settings(
            env="test",
            data_dir=tmp_path / "data",
            database_url=database_url,
            secret_key=TEST_SECRET,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_starttls=False,
            mail_from="webinars@shop.example",
        )  # type: ignore[arg-type]
        assert send_now(settings, message).outcome == "sent"
    (envelope,) = handler.received
    parsed = email.message_from_bytes(envelope.content)  # type: ignore[arg-type]
    assert parsed["Subject"] == "You're registered: The Masterclass"
    html = next(p for p in parsed.walk() if p.get_content_type() == "text/html")
    body = html.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "Monday 7 December 2026, 09:00 (America/New_York)" in body
    assert links.ics in body
    assert links.room in body


@pytest.mark.parametrize("consent", [True, False])
def test_a_public_registration_never_renames_a_subscriber_or_moves_their_zone(
    db: Database, consent: bool
) -> None:
    """Anyone can type anyone's address on the public page: its name and zone only fill blanks
    (with the list's consent ticked or not); the owner's API still sets them."""
    webinar_id = _webinar(db)
    with db.session() as session:
        carol = audience.find_or_add(
            session, TEST_SECRET, "carol@example.com", audience.Source.API,
            name="Carol Real", time_zone="Europe/Paris",
        ).id  # fmt: skip
    data = registrations.RegistrationInput(
        email="CAROL@example.com", name="Not Carol", viewer_timezone="America/Los_Angeles",
        consent=consent,
    )  # fmt: skip
    with db.session() as session:
        registrations.register(session, TEST_SECRET, webinar_id, data, NOW, public=True)
    with db.session() as session:
        person = session.get(Subscriber, carol)
        assert person is not None
        assert (person.name, person.time_zone) == ("Carol Real", "Europe/Paris")
        row = session.scalars(select(WebinarRegistration)).one()
        assert row.viewer_timezone == "America/Los_Angeles"  # the page shows their own hours
        registrations.register(session, TEST_SECRET, webinar_id, data, NOW)  # the owner's API
    with db.session() as session:
        person = session.get(Subscriber, carol)
        assert person is not None
        assert (person.name, person.time_zone) == ("Not Carol", "America/Los_Angeles")
