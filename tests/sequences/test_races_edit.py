"""Two live edits of one sequence at the same moment, each made as the edit page makes it (the
sequence found by id and kept, then revised by name): the later edit is applied to the program the
earlier one stored, so a step id is never given to two different steps (an enrolment that
remembers an id always means the same step) and the earlier edit's removals stay noted. On
PostgreSQL the later edit revised the program it had read before the earlier one committed:
its new step took the id the earlier one's new step had. Activating twice at once, likewise,
keeps the first activation's time (the trigger's clock is not restarted later)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.sequences import service
from evergreen.sequences.models import Sequence
from evergreen.sequences.rules import parse_program
from evergreen.sequences.service import editing
from evergreen.sequences.service import sequences as stored
from tests.races import Work, race
from tests.sequences.kit import make_list

STEPS: list[dict[str, Any]] = [
    {"kind": "send", "message": "welcome"},
    {"kind": "wait", "seconds": 86400},
    {"kind": "send", "message": "second"},
]
DOCUMENT: dict[str, Any] = {
    "trigger": {"kind": "joined_list", "list": "News"},
    "steps": STEPS,
    "messages": {
        "welcome": {"subject": "Welcome", "body": "Hello."},
        "second": {"subject": "Day two", "body": "Hello again."},
    },
}


def _setup(db: Database) -> int:
    make_list(db)
    with db.session() as session:
        return service.add_sequence(session, "welcome", "News", DOCUMENT).id


def _add_tag(sequence_id: int, tag: str) -> Work:
    """The edit page's save: the sequence by id (the page keeps it), then the document (the
    three steps and a new tag) revised by its name."""

    def edit(session: Session) -> object:
        row = service.sequence_by_id(session, sequence_id)
        kept = [{"id": f"s{n}", **step} for n, step in enumerate(STEPS, start=1)]
        document = {"steps": [*kept, {"kind": "tag", "name": tag}]}
        program = parse_program(service.revise_sequence(session, row.name, document).program)
        return program.steps[-1].id

    return edit


def test_two_edits_at_once_never_give_one_id_to_two_steps(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sequence_id = _setup(db)
    first, second = race(
        db, monkeypatch, _add_tag(sequence_id, "first"), _add_tag(sequence_id, "second"),
        pause_at=(editing, "get_sequence"),
    )  # fmt: skip
    assert first[1] is None, first
    assert second[1] is None, second
    # SQLite: the first edit holds the write lock, the second comes after it. PostgreSQL: the
    # first, paused before it locks the sequence, comes after the second.
    earlier, later = (first, second) if db.single_writer else (second, first)
    assert (earlier[0], later[0]) == ("s4", "s5")
    with db.session(writer=False) as session:
        row = session.get(Sequence, sequence_id)
        assert row is not None
        program = parse_program(row.program)
    assert [step.id for step in program.steps] == ["s1", "s2", "s3", "s5"]
    assert program.next_id == 6
    assert dict(program.moved) == {"s4": None}  # the earlier edit's tag, removed by the later


def _activate(sequence_id: int, at: datetime) -> Work:
    """The status page's activate: the sequence by id (kept), then its status by name."""

    def activate(session: Session) -> object:
        row = service.sequence_by_id(session, sequence_id)
        return service.set_status(session, row.name, "active", at).activated_at

    return activate


def test_activating_twice_at_once_keeps_the_first_activation_time(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sequence_id = _setup(db)
    one, two = datetime(2026, 3, 1, 9, tzinfo=UTC), datetime(2026, 3, 1, 10, tzinfo=UTC)
    first, second = race(
        db, monkeypatch, _activate(sequence_id, one), _activate(sequence_id, two),
        pause_at=(stored, "get_sequence"),
    )  # fmt: skip
    assert first[1] is None, first
    assert second[1] is None, second
    earliest = one if db.single_writer else two  # as above: which of the two came first
    with db.session(writer=False) as session:
        row = session.get(Sequence, sequence_id)
        assert row is not None
        assert (row.status, row.activated_at) == ("active", earliest)
