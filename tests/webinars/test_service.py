"""The webinars' services on SQLite and PostgreSQL: stored checked and canonical, names unique,
changes checked whole, refusals storing nothing, and a registrant's sessions read back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evergreen.db import Database
from evergreen.errors import Conflict, NotFound
from evergreen.webinars import queries, service
from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.rules import iso_utc

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
DRAFT = service.WebinarDraft(
    name="masterclass",
    duration_minutes=60,
    schedule="weekly:Wed,mon:18:00",
    timezone="America/New_York",
    blackout_dates=("2026-12-09", "2026-12-09"),
    presenter="Ana",
)


def test_a_webinar_is_stored_canonical_read_changed_and_deleted(db: Database) -> None:
    with db.session() as session:
        webinar_id = service.add_webinar(session, DRAFT, NOW).id
    with db.session(writer=False) as session:
        (card,) = queries.list_webinars(session)
        starts = queries.sessions_for(session, webinar_id, NOW, "UTC", 3)
    assert (card.name, card.title, card.schedule, card.timezone) == (
        "masterclass", "masterclass", "weekly:mon,wed:18:00", "America/New_York",
    )  # fmt: skip
    assert card.blackout_dates == ["2026-12-09"]
    assert (card.replay_hours, card.video_url) == (48, None)
    assert card.schedule_words.startswith("Mondays and Wednesdays at 18:00")
    assert [iso_utc(s) for s in starts] == [
        "2026-12-07T23:00:00Z", "2026-12-14T23:00:00Z", "2026-12-16T23:00:00Z",
    ]  # fmt: skip
    changes = service.WebinarChanges(
        schedule="jit:30", timezone="viewer", video_url="https://videos.example.com/w.mp4"
    )
    with db.session() as session:
        service.update_webinar(session, webinar_id, changes, NOW)
    with db.session(writer=False) as session:
        card2 = queries.webinar_card(session, webinar_id)
        starts = queries.sessions_for(session, webinar_id, NOW, "Asia/Kolkata", 2)
    assert card2 is not None
    assert (card2.schedule, card2.timezone, card2.presenter) == ("jit:30", "viewer", "Ana")
    assert card2.video_url == "https://videos.example.com/w.mp4"
    assert [iso_utc(s) for s in starts] == ["2026-12-07T12:30:00Z", "2026-12-07T13:00:00Z"]
    with db.session() as session:
        service.update_webinar(session, webinar_id, service.WebinarChanges(video_url=""), NOW)
        assert service.get_webinar(session, webinar_id).video_url is None
        service.delete_webinar(session, webinar_id)
    with db.session(writer=False) as session:
        assert queries.list_webinars(session) == []
        with pytest.raises(NotFound):
            queries.sessions_for(session, webinar_id, NOW, "UTC", 1)


def test_names_are_unique_and_refusals_store_nothing(db: Database) -> None:
    with db.session() as session:
        first = service.add_webinar(session, DRAFT, NOW).id
        other = service.add_webinar(
            session, service.WebinarDraft("other", 30, "jit:15", "viewer"), NOW
        ).id
    with db.session() as session, pytest.raises(Conflict) as clash:
        service.add_webinar(session, DRAFT, NOW)
    assert clash.value.field == "name"
    with db.session() as session, pytest.raises(Conflict):
        service.update_webinar(session, other, service.WebinarChanges(name="masterclass"), NOW)
    bad = [
        (service.WebinarChanges(schedule="daily:25:00"), "schedule"),
        (service.WebinarChanges(timezone="Mars/Base"), "timezone"),
        (service.WebinarChanges(duration_minutes=0), "duration_minutes"),
        (service.WebinarChanges(replay_hours=-1), "replay_hours"),
        (service.WebinarChanges(video_url="ftp://x.example.com/v"), "video_url"),
        (service.WebinarChanges(title="a\x00b"), "title"),
        (service.WebinarChanges(name="  "), "name"),
        (service.WebinarChanges(blackout_dates=("tomorrow",)), "blackout_dates"),
    ]
    for changes, field in bad:
        with db.session() as session, pytest.raises(WebinarInputError) as refused:
            service.update_webinar(session, first, changes, NOW)
        assert refused.value.field == field
    with db.session(writer=False) as session:
        card = queries.webinar_card(session, first)
    assert card is not None
    assert card.schedule == "weekly:mon,wed:18:00"


def test_a_schedule_that_can_offer_nothing_is_refused_when_stored(db: Database) -> None:
    days = tuple((NOW.date() + timedelta(days=n)).isoformat() for n in range(-1, 420))
    draft = service.WebinarDraft("never", 60, "daily:10:00", "UTC", blackout_dates=days)
    with db.session() as session, pytest.raises(WebinarInputError) as refused:
        service.add_webinar(session, draft, NOW)
    assert refused.value.field == "schedule"
    assert "no session within 400 days" in refused.value.message
    with db.session(writer=False) as session:
        assert queries.list_webinars(session) == []


def test_a_finished_dates_webinar_stays_editable_and_a_recording_keeps_its_marks(
    db: Database,
) -> None:
    """Once every listed date has passed, the title and replay window can still change (its
    registrants watch the replay); a new schedule must still offer a session. The recording
    cannot be cut shorter than the offer it shows at 10:00."""
    from evergreen.webinars import content

    soon = (NOW + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    draft = service.WebinarDraft("once", 60, f"dates:{soon}", "UTC")
    with db.session() as session:
        webinar_id = service.add_webinar(session, draft, NOW).id
        content.add_offer(
            session, webinar_id, content.OfferDraft(600, "The course", "https://shop.example/")
        )
    later = NOW + timedelta(hours=2)
    with db.session() as session:
        changes = service.WebinarChanges(title="Once, recorded", replay_hours=72)
        assert service.update_webinar(session, webinar_id, changes, later).replay_hours == 72
    again = service.WebinarChanges(schedule=f"dates:{soon}")
    with db.session() as session, pytest.raises(WebinarInputError) as stale:
        service.update_webinar(session, webinar_id, again, later)
    assert stale.value.field == "schedule"
    shorter = service.WebinarChanges(duration_minutes=5)
    with db.session() as session, pytest.raises(WebinarInputError) as short:
        service.update_webinar(session, webinar_id, shorter, later)
    assert short.value.field == "duration_minutes"
    assert "keep at least 11 minutes" in short.value.message
    with db.session(writer=False) as session:
        card = queries.webinar_card(session, webinar_id)
        assert card is not None
        assert (card.duration_minutes, card.title) == (60, "Once, recorded")
