"""Provider webhook event ids are forgotten after every provider's retry window: the rule
without a database, the pruning on SQLite and PostgreSQL, and the nightly task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.jobs import build_queue
from evergreen.mail.models import MailHookEvent
from evergreen.mail.rules.hook_events import HOOK_EVENTS_KEPT, hook_events_cutoff
from evergreen.mail.service import prune_hook_events
from evergreen.mail.tasks import run_pruning

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def test_the_window_outlives_every_providers_retries() -> None:
    # SendGrid 24 h, Postmark ~10.5 h, Mailgun 8 h, SNS 1 h: a month is far past all of them.
    assert timedelta(days=1) < HOOK_EVENTS_KEPT == timedelta(days=30)
    assert hook_events_cutoff(NOW) == datetime(2026, 5, 16, 12, 0, tzinfo=UTC)
    assert hook_events_cutoff(NOW, timedelta(days=2)) == NOW - timedelta(days=2)


@pytest.mark.parametrize(
    ("now", "kept"),
    [(NOW.replace(tzinfo=None), HOOK_EVENTS_KEPT), (NOW, timedelta(hours=23))],
)
def test_a_naive_time_or_a_window_shorter_than_the_retries_is_refused(
    now: datetime, kept: timedelta
) -> None:
    with pytest.raises(ValueError, match="must be"):
        hook_events_cutoff(now, kept)


def _events(db: Database, ages: dict[str, timedelta]) -> None:
    with db.session() as session:
        for key, age in ages.items():
            session.add(MailHookEvent(provider="sendgrid", event_id=key, received_at=NOW - age))


def _kept(db: Database) -> set[str]:
    with db.session(writer=False) as session:
        return set(session.scalars(select(MailHookEvent.event_id)))


def test_events_past_the_window_are_pruned_and_newer_ones_kept(db: Database) -> None:
    _events(db, {
        "yesterday": timedelta(days=1),
        "just-inside": HOOK_EVENTS_KEPT - timedelta(seconds=1),
        "at-the-edge": HOOK_EVENTS_KEPT,
        "just-past": HOOK_EVENTS_KEPT + timedelta(seconds=1),
        "last-year": timedelta(days=365),
    })  # fmt: skip
    with db.session() as session:
        assert prune_hook_events(session, NOW) == 2
    assert _kept(db) == {"yesterday", "just-inside", "at-the-edge"}
    with db.session() as session:  # pruning again removes nothing more
        assert prune_hook_events(session, NOW) == 0


def test_a_pruned_event_id_is_claimed_afresh(db: Database) -> None:
    _events(db, {"old": timedelta(days=40)})
    with db.session() as session:
        prune_hook_events(session, NOW)
        session.add(MailHookEvent(provider="sendgrid", event_id="old", received_at=NOW))
    assert _kept(db) == {"old"}


def test_the_task_prunes_by_the_clock(db: Database) -> None:
    now = datetime.now(UTC)
    with db.session() as session:
        session.add(MailHookEvent(provider="ses", event_id="new", received_at=now))
        session.add(
            MailHookEvent(provider="ses", event_id="old", received_at=now - timedelta(days=31))
        )
    assert run_pruning(db) == 1
    assert _kept(db) == {"new"}


def test_pruning_is_scheduled_nightly(tmp_path: Path) -> None:
    huey = build_queue(Settings(data_dir=tmp_path))
    at_night = {task.name for task in huey.read_periodic(datetime(2026, 11, 25, 3, 41))}
    at_noon = {task.name for task in huey.read_periodic(datetime(2026, 11, 25, 12, 41))}
    assert "prune_hook_events_daily" in at_night
    assert "prune_hook_events_daily" not in at_noon
