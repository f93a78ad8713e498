"""Every server's slug cache sees every change to a link: added, changed, disabled, deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from evergreen.db import Database
from evergreen.links import service
from evergreen.links.clicks.runtime import _SlugCache
from evergreen.links.drafts import LinkDraft
from evergreen.links.models import Link


def _create(db: Database, slug: str) -> None:
    with db.session() as session:
        service.create_link(
            session, LinkDraft(destination=f"https://shop.example/{slug}", slug=slug)
        )


def test_the_cache_sees_links_added_changed_disabled_and_deleted(db: Database) -> None:
    _create(db, "first")
    cache = _SlugCache(db)
    cache.refresh()
    assert set(cache.links) == {"first"}
    _create(db, "second")
    cache.refresh()
    assert set(cache.links) == {"first", "second"}
    with db.session() as session:
        draft = LinkDraft(destination="https://shop.example/new", slug="first", disabled=True)
        service.update_link(session, "first", draft)
    cache.refresh()
    assert cache.links["first"].disabled
    with db.session() as session:
        service.delete_link(session, "second")
    cache.refresh()
    assert set(cache.links) == {"first"}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_change_stamped_before_the_newest_is_seen_on_postgresql(db: Database) -> None:
    """Another server's clock a little behind, or a transaction committed after a later one: the
    change carries an older time than the newest link's, and every cache must still see it."""
    _create(db, "older")
    _create(db, "newer")
    cache = _SlugCache(db)
    cache.refresh()
    with db.session() as session:
        newest = session.get(Link, cache.links["newer"].id)
        assert newest is not None
        session.execute(
            update(Link)
            .where(Link.slug == "older")
            .values(disabled=True, updated_at=newest.updated_at - timedelta(seconds=5))
        )
    cache.refresh()
    assert cache.links["older"].disabled
