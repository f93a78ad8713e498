"""An import running while the people in it act, or while another import of them runs: the
import decides on each person's status as stored when it holds them. Before, under READ
COMMITTED, an import that had read someone as unconfirmed subscribed them over the unsubscribe
they had just made, and two imports bringing in the same new address at once failed one of
them on the unique address key (all its rows lost, a server error)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.audience import service
from evergreen.audience.models import Membership, Subscriber
from evergreen.audience.rules import Source
from evergreen.audience.service import importing
from evergreen.db import Database
from tests.races import Work, race

SECRET = "test-secret-for-audience-import-races-0123456789"


def _import(list_id: int, csv: str) -> Work:
    def run(session: Session) -> object:
        source = io.BytesIO(csv.encode())
        return service.run_import(session, SECRET, source, list_id).to_dict()

    return run


def _statuses(db: Database) -> list[tuple[str, str]]:
    with db.session(writer=False) as session:
        rows = session.execute(
            select(Subscriber.email, Membership.status)
            .join(Membership, Membership.subscriber_id == Subscriber.id)
            .order_by(Subscriber.email)
        )
        return [(email, status) for email, status in rows]


def test_an_import_never_subscribes_someone_who_just_unsubscribed(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.session() as session:
        list_id = service.create_list(session, "News", double_opt_in=True).id
        person = service.subscribe(
            session, SECRET, "a@example.com", list_id, service.Consent(Source.FORM)
        ).subscriber.id

    def leave(session: Session) -> list[int]:
        return service.unsubscribe(session, SECRET, person, list_id)

    (_imported, import_error), (_left, leave_error) = race(
        db, monkeypatch, _import(list_id, "email,status\na@example.com,subscribed\n"), leave,
        pause_at=(importing, "import_step"),
    )  # fmt: skip
    assert (import_error, leave_error) == (None, None)
    assert _statuses(db) == [("a@example.com", "unsubscribed")]


def test_two_imports_of_the_same_new_people_at_once_both_succeed(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.session() as session:
        list_id = service.create_list(session, "News", double_opt_in=False).id
    csv = "email,name\nb@example.com,Bea\na@example.com,Al\n"
    (first, first_error), (second, second_error) = race(
        db, monkeypatch, _import(list_id, csv), _import(list_id, csv),
        pause_at=(importing, "import_step"),
    )  # fmt: skip
    assert (first_error, second_error) == (None, None)
    created = sorted([first["created"], second["created"]])  # type: ignore[index]
    assert created == [0, 2]
    assert _statuses(db) == [("a@example.com", "subscribed"), ("b@example.com", "subscribed")]
