"""Two step edits of one sequence from its page at the same moment (two tabs, a double click
with other content): each is applied to the steps as the other stored them, so both added steps
are kept, with their own ids and their own messages, and a step added while another is removed
stays. On PostgreSQL the page built the whole step list from what it had read before the other
edit committed and saved that: the other edit's step was silently gone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.sequences import queries, service
from evergreen.sequences.views import steps as page
from evergreen.web.forms import FormPage
from tests.races import Work, race
from tests.sequences.kit import make_list

DOCUMENT: dict[str, Any] = {
    "trigger": {"kind": "joined_list", "list": "News"},
    "steps": [
        {"kind": "send", "message": "welcome"},
        {"kind": "wait", "seconds": 86400},
        {"kind": "send", "message": "second"},
    ],
    "messages": {
        "welcome": {"subject": "Welcome", "body": "Hello."},
        "second": {"subject": "Day two", "body": "Hello again."},
    },
}


def _setup(db: Database) -> int:
    make_list(db)
    with db.session() as session:
        return service.add_sequence(session, "welcome", "News", DOCUMENT).id


def _add_send(sequence_id: int, subject: str) -> Work:
    """The page's "add step" post: one Send step with its own message, at the end."""

    def add(session: Session) -> object:
        return page.add_step(
            None, sequence_id, session, None, None, FormPage(),
            kind="send", subject=subject, body=f"{subject}, in full.",
        )  # fmt: skip

    return add


def _remove(sequence_id: int, step_id: str) -> Work:
    """The page's confirmed "remove step" post."""

    def remove(session: Session) -> object:
        return page.remove_step(
            None, sequence_id, step_id, session, None, None, FormPage(),
            confirm="yes",
        )  # fmt: skip

    return remove


def _saved(db: Database, sequence_id: int) -> tuple[list[str], list[str]]:
    """The stored steps' ids and, in step order, the subject each Send step sends."""
    with db.session(writer=False) as session:
        found = queries.detail(session, sequence_id)
        assert found is not None
        subjects = {ref: text["subject"] for ref, text in found.document["messages"].items()}
        steps = found.document["steps"]
        sent = [subjects[step["message"]] for step in steps if step["kind"] == "send"]
        return [step["id"] for step in steps], sent


def test_two_steps_added_at_once_are_both_kept(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sequence_id = _setup(db)
    first, second = race(
        db, monkeypatch, _add_send(sequence_id, "Tab one"), _add_send(sequence_id, "Tab two"),
        pause_at=(queries, "detail"), pause_after=True,
    )  # fmt: skip
    assert first[1] is None, first
    assert second[1] is None, second
    ids, sent = _saved(db, sequence_id)
    assert ids == ["s1", "s2", "s3", "s4", "s5"]  # one id each, none given twice
    # SQLite: the first add holds the write lock, the second comes after it. PostgreSQL: the
    # first, paused after the page's read, comes after the second.
    earlier, later = ("Tab one", "Tab two") if db.single_writer else ("Tab two", "Tab one")
    assert sent == ["Welcome", "Day two", earlier, later]  # each step its own message


def test_a_step_added_while_another_is_removed_is_kept(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sequence_id = _setup(db)
    first, second = race(
        db, monkeypatch, _remove(sequence_id, "s2"), _add_send(sequence_id, "Tab two"),
        pause_at=(queries, "detail"), pause_after=True,
    )  # fmt: skip
    assert first[1] is None, first
    assert second[1] is None, second
    ids, sent = _saved(db, sequence_id)
    assert ids == ["s1", "s3", "s4"]
    assert sent == ["Welcome", "Day two", "Tab two"]
