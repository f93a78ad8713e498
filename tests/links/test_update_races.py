"""A link edited while another request changes the same slugs: renamed to a slug another request
takes at that moment, it is refused naming the slug (before, a unique-key error, a 500); edited
while it is deleted, the edit goes first and then the deletion (or its 404 for the old slug)
(before, the edit's UPDATE matched no row: StaleDataError, a 500). The edit is paused after
its check found the slug free."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.links import service
from evergreen.links.drafts import LinkDraft
from evergreen.links.rules import LinkRuleError
from tests.races import race


def _setup(db: Database) -> None:
    with db.session() as session:
        service.create_link(session, LinkDraft(destination="https://example.com/a", slug="old"))


def _rename(session: Session) -> str:
    draft = LinkDraft(destination="https://example.com/a", slug="spring")
    return service.update_link(session, "old", draft).link.slug


def test_a_rename_to_a_slug_taken_at_that_moment_is_refused_naming_the_slug(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(db)

    def create(session: Session) -> str:
        draft = LinkDraft(destination="https://example.com/b", slug="spring")
        return service.create_link(session, draft).link.slug

    (renamed, rename_error), (created, create_error) = race(
        db, monkeypatch, _rename, create, pause_at=(service, "_slug_taken"), pause_after=True
    )
    # PostgreSQL: the creation commits while the rename waits; SQLite: the rename holds the
    # write lock, so it goes first. Either way one has the slug and the other is told so.
    refused = [error for error in (rename_error, create_error) if error is not None]
    assert sorted([renamed, created], key=str) == [None, "spring"]
    assert len(refused) == 1
    assert isinstance(refused[0], LinkRuleError), refused
    assert refused[0].field == "slug"
    assert refused[0].message == "'spring' is already used by another link"
    with db.session(writer=False) as session:
        assert service.get_link(session, "spring")


def test_an_edit_racing_the_links_deletion_goes_first(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(db)

    def delete(session: Session) -> None:
        service.delete_link(session, "old")

    (renamed, rename_error), (_deleted, delete_error) = race(
        db, monkeypatch, _rename, delete, pause_at=(service, "_slug_taken"), pause_after=True
    )
    # PostgreSQL: the deletion found the link and waits for the edit, then deletes it; SQLite:
    # the edit holds the write lock, so the deletion looks for "old" once it is "spring".
    assert (renamed, rename_error) == ("spring", None)
    assert delete_error is None or isinstance(delete_error, service.LinkNotFound), delete_error
    with db.session(writer=False) as session:
        left = [link.slug for link in service.list_links(session)[0]]
    assert left == ([] if delete_error is None else ["spring"])
