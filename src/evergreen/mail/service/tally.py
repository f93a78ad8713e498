"""A broadcast's kept counts (sent, failed, bounced, skipped, complaints), moved in the same
transaction as the send rows they count, so that neither the sender after each batch nor a page
counts a send log of a million rows.

Every change of a row's status to one of the four goes through `add` with the number of rows
the statement really changed (a row reclaimed by another sender meanwhile is not counted twice),
and so does a first complaint. Rows still open (queued, claimed, deferred) are not counted
apart: they are the recipients less the four. Erasing a person deletes their send row with no
count moved; `recount` puts the counts back to the send log's (a broadcast does so once, when
it finishes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, func, select, update
from sqlalchemy.orm import Session

from evergreen.mail.models import OPEN_ROW, Broadcast, MailSend

__all__ = ["KEPT", "add", "changed", "counts", "has_open", "recount"]

# Send-log status → the broadcast's column that counts it ("complaint": complained_at set).
KEPT = {
    "sent": Broadcast.sent_count,
    "failed": Broadcast.failed_count,
    "bounced": Broadcast.bounced_count,
    "skipped": Broadcast.skipped_count,
    "complaint": Broadcast.complaint_count,
}


def add(session: Session, message_id: int, changes: Mapping[str, int]) -> None:
    """Move the message's counts by these numbers, in SQL (`n = n + k`): two senders' batches
    recorded at once both count."""
    values = {KEPT[key].key: KEPT[key] + number for key, number in changes.items() if number}
    if values:
        session.execute(
            update(Broadcast).where(Broadcast.id == message_id).values(values),
            execution_options={"synchronize_session": "fetch"},
        )


def changed(session: Session, statement: Executable) -> int:
    """Run an UPDATE of send rows; how many rows it really changed (what `add` is given)."""
    return cast("CursorResult[Any]", session.execute(statement)).rowcount


def counts(session: Session, broadcast_id: int) -> dict[str, int]:
    """How many send rows of the broadcast are in each status, counted now (reads every row)."""
    rows = session.execute(
        select(MailSend.status, func.count())
        .where(MailSend.message_id == broadcast_id)
        .group_by(MailSend.status)
    )
    return {status: number for status, number in rows}  # noqa: C416 (a Result is not a mapping)


def has_open(session: Session, broadcast_id: int) -> bool:
    """Whether a row of the broadcast is still queued, claimed or deferred (an index seek)."""
    found = session.scalar(
        select(MailSend.id).where(MailSend.message_id == broadcast_id, OPEN_ROW).limit(1)
    )
    return found is not None


def recount(session: Session, broadcast_id: int) -> dict[str, int]:
    """Set the broadcast's kept counts (and its recipients) from its send log; the counts by
    status. Reads every row: for a finish, a repair or a migration, not for every batch."""
    row = session.scalars(
        select(Broadcast).where(Broadcast.id == broadcast_id).with_for_update()
    ).one()
    found = counts(session, broadcast_id)
    complaints = session.scalar(
        select(func.count()).where(
            MailSend.message_id == broadcast_id, MailSend.complained_at.is_not(None)
        )
    )
    for key, column in KEPT.items():
        setattr(row, column.key, (complaints or 0) if key == "complaint" else found.get(key, 0))
    if row.kind == "broadcast":  # a sequence message's rows come one by one; it keeps none
        row.recipients = sum(found.values())
    session.flush()
    return found
