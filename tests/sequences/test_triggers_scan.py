"""Every trigger kind enrols the right people at a tick (SQLite and PostgreSQL): registered for
a webinar, clicked a link, bought a product (activity or an API event), an API event, a yearly
date field in the subscriber's zone (re-enrolling next year), and attended / left early through
the webinars area's outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from evergreen.audience import service as audience
from evergreen.db import Database
from evergreen.sequences import service
from evergreen.sequences.models import Enrolment, SequenceAction
from evergreen.sequences.rules import Attendance
from evergreen.sequences.service import triggers
from evergreen.sequences.service.events import record_event
from tests.sequences.kit import add_active, add_webinar, future_day, make_list, register, subscribe

MINUTE = timedelta(minutes=1)


def _doc(trigger: dict[str, Any]) -> dict[str, Any]:
    return {"trigger": trigger, "steps": [{"kind": "tag", "name": "enrolled"}], "messages": {}}


def _enrolled(db: Database, name: str = "seq") -> list[int]:
    with db.session() as session:
        from evergreen.sequences.models import Sequence

        sequence_id = session.scalar(select(Sequence.id).where(Sequence.name == name))
        return sorted(
            session.scalars(
                select(Enrolment.subscriber_id).where(Enrolment.sequence_id == sequence_id)
            )
        )


def _activity(db: Database, subscriber_id: int, kind: str, ref: str, at: datetime) -> None:
    with db.session() as session:
        audience.record_activity(session, subscriber_id, kind, ref, at)


def test_registering_for_a_webinar_enrols_only_its_registrants(db: Database) -> None:
    t0 = future_day()
    list_id = make_list(db)
    demo = add_webinar(db, list_id, "demo")
    other = add_webinar(db, list_id, "other")
    add_active(db, _doc({"kind": "webinar", "status": "registered", "webinar": "demo"}), t0)
    register(db, demo, "ann@example.com", t0 + MINUTE)
    register(db, other, "bob@example.com", t0 + MINUTE)
    register(db, demo, "late@example.com", t0 + 5 * MINUTE)
    assert service.run_due(db, t0 + 2 * MINUTE).enrolled == 1
    assert service.run_due(db, t0 + 6 * MINUTE).enrolled == 1
    assert service.run_due(db, t0 + 7 * MINUTE).enrolled == 0
    with db.session() as session:
        from evergreen.audience import queries

        ann = queries.find_by_email(session, "ann@example.com")
        late = queries.find_by_email(session, "late@example.com")
        assert ann is not None
        assert late is not None
        assert _enrolled(db) == sorted([ann.id, late.id])
        assert "enrolled" in queries.tags_of(session, ann.id)  # the step ran at that tick


def test_a_click_on_the_link_enrols_and_other_clicks_do_not(db: Database) -> None:
    t0 = future_day()
    list_id = make_list(db)
    add_active(db, _doc({"kind": "clicked_link", "link": "spring-sale"}), t0)
    ann = subscribe(db, list_id, "ann@example.com")
    bob = subscribe(db, list_id, "bob@example.com")
    _activity(db, ann, "clicked", "spring-sale", t0 + MINUTE)
    _activity(db, bob, "clicked", "newsletter", t0 + MINUTE)
    _activity(db, bob, "clicked", "spring-sale", t0 - 20 * MINUTE)  # before it was active
    assert service.run_due(db, t0 + 2 * MINUTE).enrolled == 1
    assert _enrolled(db) == [ann]


def test_a_purchase_enrols_from_activity_or_an_api_event(db: Database) -> None:
    t0 = future_day()
    list_id = make_list(db)
    add_active(db, _doc({"kind": "bought", "product": "course"}), t0, name="course")
    add_active(db, _doc({"kind": "bought"}), t0, name="anything")
    ann = subscribe(db, list_id, "ann@example.com")
    bob = subscribe(db, list_id, "bob@example.com")
    cy = subscribe(db, list_id, "cy@example.com")
    _activity(db, ann, "purchased", "course", t0 + MINUTE)
    with db.session() as session:
        record_event(session, "bob@example.com", "purchase:ebook", "k-bob", now=t0 + MINUTE)
        record_event(session, "cy@example.com", "purchase:course", "k-cy", now=t0 + MINUTE)
    assert service.run_due(db, t0 + 2 * MINUTE).enrolled == 5
    assert _enrolled(db, "course") == sorted([ann, cy])
    assert _enrolled(db, "anything") == sorted([ann, bob, cy])


def test_an_api_event_enrols_sequences_with_that_event(db: Database) -> None:
    t0 = future_day()
    list_id = make_list(db)
    add_active(db, _doc({"kind": "api_event", "name": "trial_ended"}), t0)
    ann = subscribe(db, list_id, "ann@example.com")
    subscribe(db, list_id, "bob@example.com")
    with db.session() as session:
        # Stored now about a moment a day earlier: the scan reads when it was stored.
        record_event(
            session, "ann@example.com", "trial_ended", "k1", at=t0 - timedelta(days=1),
            now=t0 + MINUTE,
        )  # fmt: skip
        record_event(session, "bob@example.com", "trial_started", "k2", now=t0 + MINUTE)
    assert service.run_due(db, t0 + 2 * MINUTE).enrolled == 1
    assert _enrolled(db) == [ann]


def test_a_birthday_enrols_at_9_local_each_year_and_re_enrols_after_finishing(
    db: Database,
) -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    t0 = future_day(days=2, hour=0)
    day = (t0 + timedelta(days=10)).date()
    birthday = datetime(day.year, day.month, day.day, 9, tzinfo=tokyo).astimezone(UTC)
    list_id = make_list(db)
    document = {
        "trigger": {"kind": "date_field", "field": "birthday", "hour": 9},
        "steps": [{"kind": "notify", "text": "Birthday today"}],
        "messages": {},
    }
    add_active(db, document, t0)
    ann = subscribe(db, list_id, "ann@example.com", {"birthday": f"1990-{day:%m-%d}"}, "Asia/Tokyo")
    subscribe(db, list_id, "bob@example.com", {"birthday": "not a date"})
    subscribe(db, list_id, "cy@example.com")  # no birthday

    assert service.run_due(db, t0).enrolled == 0
    assert service.run_due(db, birthday - MINUTE).enrolled == 0
    first = service.run_due(db, birthday + MINUTE)
    assert (first.enrolled, first.actions_queued, first.finished) == (1, 1, 1)
    assert service.run_due(db, birthday + 5 * MINUTE).enrolled == 0  # the margin's rescan
    next_year = birthday.replace(year=birthday.year + 1)  # not 29 February: see the rule's tests
    assert service.run_due(db, next_year - MINUTE).enrolled == 0
    again = service.run_due(db, next_year + MINUTE)
    assert (again.enrolled, again.actions_queued, again.finished) == (1, 1, 1)
    assert service.run_due(db, next_year + 2 * MINUTE).enrolled == 0
    assert _enrolled(db) == [ann]
    with db.session() as session:
        assert len(session.scalars(select(SequenceAction)).all()) == 2  # one notice a year


@pytest.mark.parametrize(
    ("wanted", "enrols"),
    [("attended", {"ann", "bob"}), ("left_early", {"bob"}), ("missed", {"cy"})],
)
def test_webinar_outcomes_enrol_through_the_plug(
    db: Database, monkeypatch: pytest.MonkeyPatch, wanted: str, enrols: set[str]
) -> None:
    """The webinars area's outcomes_between is another helper's; its plug is stood in for."""
    t0 = future_day()
    list_id = make_list(db)
    ids = {n: subscribe(db, list_id, f"{n}@example.com") for n in ("ann", "bob", "cy")}
    statuses = {"ann": Attendance.ATTENDED, "bob": Attendance.LEFT_EARLY, "cy": Attendance.MISSED}

    def outcomes(
        session: object, since: datetime, until: datetime, subscriber_ids: object = None
    ) -> list[tuple[int, str, Attendance]]:
        return [(ids[n], "demo", status) for n, status in statuses.items()]

    monkeypatch.setattr(triggers, "outcomes", outcomes)
    add_active(db, _doc({"kind": "webinar", "status": wanted, "webinar": "demo"}), t0)
    assert service.run_due(db, t0 + MINUTE).enrolled == len(enrols)
    assert _enrolled(db) == sorted(ids[n] for n in enrols)
