"""One step added to or removed from a sequence (the page's step rows), built from the sequence
read under its lock: two edits at the same moment each keep the other's steps and messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.models import Sequence
from evergreen.sequences.service.editing import revise_sequence
from evergreen.sequences.service.sequences import get_sequence, message_ids

__all__ = ["add_step", "remove_step"]


def add_step(
    session: Session,
    name: str,
    step: Mapping[str, Any],
    messages: Mapping[str, Any],
    after: str = "",
) -> Sequence:
    """Add one step (and its new message, for a Send) after step `after`, or at the end."""
    row = get_sequence(session, name, lock=True)
    steps = list(row.program["steps"])
    ids = [each["id"] for each in steps]
    if after and after not in ids:
        raise SequenceInputError("after", f"no step {after[:40]!r} in this sequence")
    ref = step.get("message")
    known = message_ids(session, row.id)
    if isinstance(ref, str) and ref in messages and ref in known:
        # The caller chose the reference from an earlier read; another add has taken it since.
        free = next(f"m{n}" for n in range(1, len(known) + 2) if f"m{n}" not in known)
        step, messages = {**step, "message": free}, {free: messages[ref]}
    steps.insert(ids.index(after) + 1 if after else len(steps), dict(step))
    return revise_sequence(session, name, {"steps": steps, "messages": messages})


def remove_step(session: Session, name: str, step_id: str) -> Sequence:
    """Remove one step; people waiting at it go on at the next step that is kept."""
    row = get_sequence(session, name, lock=True)
    steps = [each for each in row.program["steps"] if each["id"] != step_id]
    if len(steps) == len(row.program["steps"]):  # removed meanwhile (a second click)
        return row
    return revise_sequence(session, name, {"steps": steps})
