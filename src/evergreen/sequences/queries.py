"""What the sequences area shows: its sequences with their enrolments counted by status."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.sequences.models import Enrolment, Sequence

__all__ = ["SequenceCard", "sequences"]


@dataclass(frozen=True)
class SequenceCard:
    """One sequence as the CLI and pages show it."""

    id: int
    name: str
    status: str
    list_id: int | None
    trigger: dict[str, Any]
    steps: int
    enrolments: dict[str, int] = field(default_factory=dict)

    def show(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "name": self.name,
            "status": self.status,
            "list_id": self.list_id,
            "trigger": self.trigger,
            "steps": self.steps,
            "enrolments": self.enrolments,
        }


def sequences(session: Session) -> list[SequenceCard]:
    """Every sequence by name, with its enrolments counted by status."""
    counts: dict[int, dict[str, int]] = {}
    for sequence_id, status, number in session.execute(
        select(Enrolment.sequence_id, Enrolment.status, func.count()).group_by(
            Enrolment.sequence_id, Enrolment.status
        )
    ):
        counts.setdefault(sequence_id, {})[status] = number
    return [
        SequenceCard(
            row.id,
            row.name,
            row.status,
            row.list_id,
            dict(row.trigger),
            len(row.program.get("steps") or []),
            counts.get(row.id, {}),
        )
        for row in session.scalars(select(Sequence).order_by(Sequence.name))
    ]
