"""Registration rules without a database: the assigned session, the kept traffic source, the
signed links refused when changed, the public slug, and the .ics content."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.rules import (
    check_slug,
    check_wording,
    clip_source,
    ics_invitation,
    link_token,
    pick_session,
    read_link_token,
)

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
OFFERED = (NOW + timedelta(hours=1), NOW + timedelta(hours=2), NOW + timedelta(hours=3))


def test_the_first_offered_session_is_assigned_unless_one_was_chosen() -> None:
    assert pick_session(OFFERED, NOW) == OFFERED[0]
    assert pick_session(OFFERED, NOW, chosen=OFFERED[2]) == OFFERED[2]
    with pytest.raises(WebinarInputError) as refused:
        pick_session(OFFERED, NOW, chosen=NOW + timedelta(minutes=17))
    assert refused.value.field == "session_start"
    with pytest.raises(WebinarInputError, match="no session"):
        pick_session((), NOW)


def test_a_session_still_ahead_is_kept_and_a_past_one_re_picked() -> None:
    ahead = NOW + timedelta(minutes=30)
    assert pick_session(OFFERED, NOW, previous=ahead) == ahead
    assert pick_session(OFFERED, NOW, previous=NOW - timedelta(days=1)) == OFFERED[0]
    assert pick_session(OFFERED, NOW, chosen=OFFERED[1], previous=ahead) == OFFERED[1]


def test_a_session_offered_on_the_page_stays_choosable_while_it_is_ahead() -> None:
    # Shown at 11:59:58 with sessions every 15 minutes from 15 minutes on: 12:15 was offered;
    # posted at 12:00:01 it no longer is, but the person chose it on the page.
    shown = (NOW + timedelta(minutes=15), NOW + timedelta(minutes=30))
    later = (NOW + timedelta(minutes=30), NOW + timedelta(minutes=45))
    assert pick_session(later, NOW, chosen=shown[0], shown=shown) == shown[0]
    with pytest.raises(WebinarInputError) as passed:
        pick_session(later, shown[0], chosen=shown[0], shown=shown)
    assert passed.value.field == "session_start"
    with pytest.raises(WebinarInputError):
        pick_session(later, NOW, chosen=NOW + timedelta(minutes=20), shown=shown)


def test_only_the_traffic_source_is_kept_and_clipped() -> None:
    kept = clip_source(
        {"channel": "youtube", "SUB1": "a", "utm_campaign": "x" * 500, "email": "x@y.z", "q": "1"}
    )
    assert kept == {"channel": "youtube", "sub1": "a", "utm_campaign": "x" * 100}
    assert clip_source({"utm_source": "  "}) == {}


def test_signed_links_read_back_and_refuse_changes() -> None:
    token = link_token("secret", "ics", 42)
    assert read_link_token("secret", "ics", token) == 42
    for bad in (
        token.replace("42.", "43."),
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        link_token("other", "ics", 42),
        link_token("secret", "room", 42),
        "42",
        "",
    ):
        with pytest.raises(WebinarInputError):
            read_link_token("secret", "ics", bad)


def test_slug_and_wording_are_checked() -> None:
    assert check_slug(" Masterclass-1 ") == "masterclass-1"
    assert check_slug("") is None
    with pytest.raises(WebinarInputError, match="lower-case"):
        check_slug("no spaces")
    assert check_wording("", None) == ""
    with pytest.raises(WebinarInputError) as refused:
        check_wording("  ", 3)
    assert refused.value.field == "consent_wording"


def test_the_ics_holds_one_event_at_the_session_in_utc() -> None:
    start = datetime(2026, 12, 8, 14, 30, tzinfo=UTC)
    raw = ics_invitation(
        uid="webinar-1-registration-2@evergreen",
        title="Masterclass",
        presenter="Ana",
        start=start,
        duration_minutes=45,
        url="https://example.com/w/m/room/2.x",
        now=NOW,
    )
    assert b"BEGIN:VCALENDAR" in raw
    assert b"DTSTART:20261208T143000Z" in raw
    (event,) = Calendar.from_ical(raw).walk("VEVENT")
    assert event.decoded("dtstart") == start
    assert event.decoded("dtend") == start + timedelta(minutes=45)
    assert str(event["summary"]) == "Masterclass"
    assert str(event["url"]) == "https://example.com/w/m/room/2.x"
    assert "Ana" in str(event["description"])
