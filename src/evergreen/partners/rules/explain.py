"""Pure explanations of a commission's status, in words shown to the owner and the partner."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from evergreen.partners.rules.lifecycle import Status

__all__ = ["DEFAULT_HOLD_REASON", "hold_reason", "status_note"]

DEFAULT_HOLD_REASON = "Held for review by the program owner."


def hold_reason(note: str) -> str:
    """The reason a manual hold records: the owner's note, or a sentence saying who held it."""
    text = " ".join(note.split())
    return text[:300] if text else DEFAULT_HOLD_REASON


def status_note(
    status: str,
    *,
    hold_reasons: Sequence[str],
    last_note: str,
    created_at: datetime,
    holding_days: int,
    now: datetime,
) -> str:
    """Why a commission is where it stands: held (and why), rejected (and why), reversed,
    or waiting out the refund window; '' when its status says it all (approved, paid).

    `last_note` is the note of the change that put it in this status (a rejection's reason,
    a refund's effect). A released commission is pending again: its old hold reasons are
    never shown as if it were still held.
    """
    reasons = "; ".join(r.strip().rstrip(".") for r in hold_reasons if r.strip())
    note = " ".join(last_note.split())
    if status == Status.ON_HOLD:
        return f"On hold: {reasons}." if reasons else DEFAULT_HOLD_REASON
    if status == Status.REJECTED:
        if note:
            return f"Rejected: {note}"
        return f"Rejected after review: {reasons}." if reasons else "Rejected by the program."
    if status == Status.REVERSED:
        return f"Reversed: {note}" if note else "Reversed: the sale was refunded."
    if status == Status.PENDING:
        ends = created_at + timedelta(days=holding_days)
        if now >= ends:
            return "The refund window has ended; it is approved at the next hourly check."
        return (
            f"In the {holding_days}-day refund window until {ends:%Y-%m-%d}; "
            "approved then unless the sale is refunded."
        )
    return ""
