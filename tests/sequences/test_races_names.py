"""Two sequences of one name added at the same moment: one is stored, the other is refused as a
serial second add is (409 naming `name`), never a unique-key error (a 500). The first add is
paused after its check found the name free: before, on PostgreSQL (READ COMMITTED) it went on to
insert and met the key the second had just committed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.audience import service as audience
from evergreen.db import Database
from evergreen.errors import Conflict
from evergreen.mail.models import Broadcast
from evergreen.sequences import service
from evergreen.sequences.models import Sequence, SequenceMessage
from tests.races import Work, race
from tests.sequences.kit import make_list

DOCUMENT: dict[str, Any] = {
    "trigger": {"kind": "joined_list", "list": "News"},
    "steps": [{"kind": "send", "message": "welcome"}],
    "messages": {"welcome": {"subject": "Welcome", "body": "Hello."}},
}


def _add(subject: str) -> Work:
    def add(session: Session) -> object:
        document = {**DOCUMENT, "messages": {"welcome": {"subject": subject, "body": "Hi."}}}
        return service.add_sequence(session, "welcome", "News", document).id

    return add


def test_one_name_added_twice_at_once_is_stored_once_and_refused_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_list(db)
    first, second = race(
        db, monkeypatch, _add("First"), _add("Second"), pause_at=(audience, "list_named")
    )
    # SQLite: the first holds the write lock, the second comes after it. PostgreSQL: the first,
    # paused after its check, comes after the second and meets the name it stored.
    stored, refused = (first, second) if db.single_writer else (second, first)
    assert refused[0] is None
    assert isinstance(refused[1], Conflict), refused[1]
    assert (refused[1].status, refused[1].field) == (409, "name")
    assert refused[1].message == "a sequence named 'welcome' exists already"
    assert stored[1] is None, stored[1]
    with db.session(writer=False) as session:
        rows = session.scalars(select(Sequence)).all()
        subjects = session.scalars(select(Broadcast.subject)).all()
        linked = session.scalars(select(SequenceMessage.sequence_id)).all()
    assert [(row.id, row.name) for row in rows] == [(stored[0], "welcome")]
    # the stored sequence sends its own add's message; the refused add left none behind
    assert subjects == ["First" if db.single_writer else "Second"]
    assert linked == [stored[0]]
