"""Pages of the sequences area: the list, the new-sequence form, one sequence as a timeline with
its numbers and enrolments, the live edit (the document, or a step at a time with form rows),
enrolling by hand and the preview for one person."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from evergreen.sequences.views import people, sequences, steps

__all__ = ["routers"]


def routers() -> Sequence[APIRouter]:
    """Every page router of the area."""
    return [sequences.router, people.router, steps.router]
