"""How far each spool segment was read, kept in the database with the clicks read from it.

Servers sharing one database share the table: a segment's name begins with its folder's identity
(`spool.segment_prefix`), so each ingester forgets the offsets of its own folder's segments only.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from evergreen.links.models import SpoolOffset

__all__ = ["forget", "forget_gone", "read", "record"]


def read(session: Session, names: Iterable[str]) -> dict[str, int]:
    """How far each of these segments was read (in chunks: a backlog may hold thousands)."""
    ordered = sorted(names)
    found: dict[str, int] = {}
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        rows = session.execute(
            select(SpoolOffset.name, SpoolOffset.offset).where(SpoolOffset.name.in_(chunk))
        )
        found.update(dict(rows.all()))
    return found


def forget_gone(session: Session, prefix: str, present: set[str]) -> None:
    """Forget this folder's segments that are no longer on its disk; other folders' stay."""
    session.execute(
        delete(SpoolOffset).where(
            SpoolOffset.name.startswith(prefix, autoescape=True),
            SpoolOffset.name.not_in(present),
        )
    )


def forget(session: Session, names: list[str]) -> None:
    """Forget finished segments, removed from the disk."""
    session.execute(delete(SpoolOffset).where(SpoolOffset.name.in_(names)))


def record(session: Session, ends: dict[str, int]) -> None:
    """Note how far each segment was read, in the transaction of the clicks read."""
    rows = {row.name: row for row in session.scalars(
        select(SpoolOffset).where(SpoolOffset.name.in_(list(ends)))
    )}  # fmt: skip
    for name, end in ends.items():
        row = rows.get(name)
        if row is None:
            session.add(SpoolOffset(name=name, offset=end))
        else:
            row.offset = end
