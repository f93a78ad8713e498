"""A list, a form or a segment changed while another request takes the same name or slug, or
deletes it: the change is refused naming the field as it would be one after the other, a 409
(before, a unique-key error, a 500), or it goes first and the deletion after it (before, its
UPDATE matched no row: StaleDataError, a 500). The change is paused after its check found the
name free."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from evergreen.audience import service
from evergreen.audience.service import forms, lists, segments
from evergreen.db import Database
from evergreen.errors import Conflict, NotFound
from tests.races import Outcome, race


def _news(db: Database) -> int:
    with db.session() as session:
        return service.create_list(session, "News", double_opt_in=False).id


def _one_refused(first: Outcome, second: Outcome, field: str, message: str) -> None:
    """One of the two stood; the other was refused with a 409 naming `field`."""
    refused = [error for _value, error in (first, second) if error is not None]
    assert len(refused) == 1, (first, second)
    assert isinstance(refused[0], Conflict), refused[0]
    assert refused[0].status == 409
    assert (refused[0].field, refused[0].message) == (field, message)


def test_a_list_renamed_to_a_name_taken_at_that_moment_is_refused_naming_it(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    news = _news(db)

    def rename(session: Session) -> str:
        return service.update_list(session, news, name="Offers").name

    def create(session: Session) -> str:
        return service.create_list(session, "Offers").name

    first, second = race(
        db, monkeypatch, rename, create, pause_at=(lists, "_name_taken"), pause_after=True
    )
    _one_refused(first, second, "name", "a list named 'Offers' already exists")


def test_a_list_changed_while_it_is_deleted_is_changed_then_deleted(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    news = _news(db)

    def rename(session: Session) -> str:
        return service.update_list(session, news, name="Letters").name

    def delete(session: Session) -> None:
        service.delete_list(session, news)

    (renamed, rename_error), (_deleted, delete_error) = race(
        db, monkeypatch, rename, delete, pause_at=(lists, "_name_taken"), pause_after=True
    )
    assert (renamed, rename_error, delete_error) == ("Letters", None, None)
    with db.session(writer=False) as session, pytest.raises(NotFound):
        service.get_list(session, news)


def _form(db: Database, news: int, slug: str) -> int:
    with db.session() as session:
        data = forms.FormInput(name=slug, slug=slug, list_ids=[news], wording="Yes, mail me.")
        return forms.create_form(session, data).id


def test_a_form_moved_to_a_slug_taken_at_that_moment_is_refused_naming_it(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    news = _news(db)
    form_id = _form(db, news, "news")

    def move(session: Session) -> str:
        data = forms.FormInput(name="news", slug="join", list_ids=[news], wording="Yes, mail me.")
        return forms.update_form(session, form_id, data).slug

    def create(session: Session) -> str:
        data = forms.FormInput(name="join", slug="join", list_ids=[news], wording="Yes.")
        return forms.create_form(session, data).slug

    first, second = race(
        db, monkeypatch, move, create, pause_at=(forms, "_slug_taken"), pause_after=True
    )
    _one_refused(first, second, "slug", "a form already answers at /f/join")


def test_a_form_changed_while_it_is_deleted_is_changed_then_deleted(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    news = _news(db)
    form_id = _form(db, news, "news")

    def change(session: Session) -> str:
        data = forms.FormInput(name="News", slug="news", list_ids=[news], wording="Yes, mail me.")
        return forms.update_form(session, form_id, data).name

    def delete(session: Session) -> None:
        forms.delete_form(session, form_id)

    (changed, change_error), (_deleted, delete_error) = race(
        db, monkeypatch, change, delete, pause_at=(forms, "_slug_taken"), pause_after=True
    )
    assert (changed, change_error, delete_error) == ("News", None, None)
    with db.session(writer=False) as session, pytest.raises(NotFound):
        forms.get_form(session, form_id)


def _segment(db: Database) -> int:
    _news(db)
    with db.session() as session:
        return segments.create_segment(session, "Readers", 'list:"News"').id


def test_a_segment_renamed_to_a_name_taken_at_that_moment_is_refused_naming_it(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    segment_id = _segment(db)

    def rename(session: Session) -> str:
        return segments.update_segment(session, segment_id, "Fans", 'list:"News"').name

    def create(session: Session) -> str:
        return segments.create_segment(session, "Fans", 'list:"News"').name

    first, second = race(
        db, monkeypatch, rename, create, pause_at=(segments, "_name_taken"), pause_after=True
    )
    _one_refused(first, second, "name", 'a segment named "Fans" already exists')


def test_a_segment_changed_while_it_is_deleted_is_changed_then_deleted(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    segment_id = _segment(db)

    def rename(session: Session) -> str:
        return segments.update_segment(session, segment_id, "Fans", 'list:"News"').name

    def delete(session: Session) -> None:
        segments.delete_segment(session, segment_id)

    (renamed, rename_error), (_deleted, delete_error) = race(
        db, monkeypatch, rename, delete, pause_at=(segments, "_name_taken"), pause_after=True
    )
    assert (renamed, rename_error, delete_error) == ("Fans", None, None)
    with db.session(writer=False) as session, pytest.raises(NotFound):
        segments.get_segment(session, segment_id)
