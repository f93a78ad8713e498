"""Migration 0064 re-keys stored addresses lower-cased, never failing on a unique key, and
people erased or mailed a preference link before it stay erased and keep a working link."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from evergreen import migrate
from evergreen.audience import service
from evergreen.audience.errors import AudienceInputError
from evergreen.audience.models import Subscriber
from evergreen.audience.rules import Source
from evergreen.audience.rules.forms import preference_token
from evergreen.audience.service import Consent, preferences
from evergreen.audience.service.subscribers import erased_hash
from evergreen.db import Database

SECRET = "test-secret-for-audience-0123456789"


def test_the_upgrade_rekeys_addresses_and_keeps_erasures(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url, "0063")
    db = Database(empty_database_url)
    now = datetime.now(UTC)
    rows = [  # (id, email, key as 0063 stored it); ids clear of PostgreSQL's sequence
        (101, "Straße@example.com", "strasse@example.com"),
        (102, "Jane@example.com", "jane@example.com"),
        (103, "Ωmega@example.com", "ωmega@example.com"),
        (104, "Hand@example.com", "edited-by-hand"),  # not from its address: left alone
    ]
    try:
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO subscribers (id, email, email_key, name, fields, source, "
                    "soft_bounces, created_at, updated_at) VALUES (:i, :e, :k, '', '{}', "
                    "'import', 0, :now, :now)"
                ),
                [{"i": i, "e": e, "k": k, "now": now} for i, e, k in rows],
            )
            conn.execute(
                text("INSERT INTO audience_erased (key_hash, at) VALUES (:h, :now)"),
                {"h": erased_hash(SECRET, "maße@example.com".casefold()), "now": now},
            )
        old_link = preference_token(SECRET, 101, "strasse@example.com")
        migrate.upgrade(empty_database_url)
        with db.session() as session:
            keys = dict(session.execute(select(Subscriber.id, Subscriber.email_key)).all())
            assert keys == {
                101: "straße@example.com",
                102: "jane@example.com",
                103: "ωmega@example.com",
                104: "edited-by-hand",
            }
            news = service.create_list(session, "News", double_opt_in=False).id
            other = service.subscribe(session, SECRET, "strasse@example.com", news, Consent())
            assert other.created
            assert preferences.preferences(session, SECRET, old_link).email == "Straße@example.com"
            with pytest.raises(AudienceInputError, match="erased"):
                service.subscribe(session, SECRET, "MAßE@example.com", news, Consent(Source.API))
    finally:
        db.dispose()


def test_two_addresses_that_differ_in_letters_are_two_people(db: Database) -> None:
    with db.session() as session:
        news = service.create_list(session, "News", double_opt_in=False).id
        for email, name in [("straße@example.com", "Anna"), ("strasse@example.com", "Ben")]:
            service.subscribe(session, SECRET, email, news, Consent(Source.API), name=name)
        same = service.subscribe(session, SECRET, "STRAßE@example.com", news, Consent(Source.API))
        assert not same.created
    with db.session(writer=False) as session:
        people = session.execute(select(Subscriber.email, Subscriber.name).order_by("id")).all()
    assert [tuple(p) for p in people] == [
        ("straße@example.com", "Anna"),
        ("strasse@example.com", "Ben"),
    ]
