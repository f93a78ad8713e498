"""The nightly health check storing its verdicts while the owner edits or deletes a checked
link: a verdict is stored only on a link that still points where it was checked, and never
touches the link's settings. Before, under READ COMMITTED, a check that had read the old
destination stored its verdict on the new one and wrote its stale `updated_at` back over the
edit; a link deleted meanwhile failed the whole night's check (no verdict stored at all)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from evergreen.addresses import Addresses
from evergreen.db import Database
from evergreen.links import health, service
from evergreen.links.drafts import LinkDraft
from tests.races import race

NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _every_page_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    """No network: every destination answers 404."""

    def gone(url: str, timeout: float = 10.0, allow: Addresses | None = None) -> object:
        return url, 404, None

    monkeypatch.setattr(health, "check_url", gone)


def _setup(db: Database) -> None:
    with db.session() as session:
        for slug in ("offer", "other"):
            draft = LinkDraft(destination=f"https://{slug}.example.com/old", slug=slug)
            service.create_link(session, draft)


def _check(session: Session) -> list[tuple[str, str, str]]:
    links, _total = service.list_links(session)
    return health.check_links(session, links, NOW)


def _edit(session: Session) -> str:
    draft = LinkDraft(destination="https://offer.example.com/new", slug="offer")
    return service.update_link(session, "offer", draft).link.destination


def test_a_verdict_is_not_stored_on_a_destination_edited_during_the_check(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(db)
    (_results, check_error), (_shown, edit_error) = race(
        db, monkeypatch, _check, _edit, pause_at=(health, "verdict")
    )
    assert (check_error, edit_error) == (None, None)
    with db.session(writer=False) as session:
        offer, other = service.get_link(session, "offer"), service.get_link(session, "other")
        assert offer.destination == "https://offer.example.com/new"
        assert (offer.health, offer.health_checked_at) == ("unchecked", None)
        assert offer.updated_at > other.updated_at  # the edit's time stands
        assert other.health == "broken"


def test_a_link_deleted_during_the_check_leaves_the_others_checked(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(db)

    def delete(session: Session) -> None:
        service.delete_link(session, "offer")

    (results, check_error), (_none, delete_error) = race(
        db, monkeypatch, _check, delete, pause_at=(health, "verdict")
    )
    assert (check_error, delete_error) == (None, None)
    # On SQLite the check holds the write lock from its first read: it finishes first.
    checked = sorted(slug for slug, _state, _detail in results)  # type: ignore[attr-defined]
    assert checked == (["offer", "other"] if db.single_writer else ["other"])
    with db.session(writer=False) as session:
        assert service.get_link(session, "other").health == "broken"
        assert service.list_links(session)[1] == 1
