"""What the audience's pages share: form values read once, list choices, status words."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form

from evergreen.audience.errors import AudienceInputError
from evergreen.audience.rules import Status
from evergreen.digits import row_id

__all__ = ["STATUSES", "FormStr", "list_id_of", "status_of"]

FormStr = Annotated[str, Form(max_length=20_000)]
STATUSES: tuple[str, ...] = tuple(status.value for status in Status)


def list_id_of(text: str, field: str = "list_id", *, required: bool = False) -> int | None:
    """A list's id from a form or query value ("" means none: every list, or not chosen)."""
    text = text.strip()
    if not text:
        if required:
            raise AudienceInputError(field, "choose a list")
        return None
    chosen = row_id(text)
    if chosen is None:
        raise AudienceInputError(field, f"{text[:40]!r} is not a list")
    return chosen


def status_of(text: str) -> str:
    """A status to filter by, or "" for any."""
    text = text.strip().lower()
    if text and text not in STATUSES:
        raise AudienceInputError("status", f"must be one of {', '.join(STATUSES)}")
    return text
