"""Saved segments as plain values, and their members in id order (a broadcast walks them a
chunk at a time, resuming after the last)."""

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.audience.models import (
    Segment,
)
from evergreen.audience.service import segments as _segments


@dataclass(frozen=True)
class SegmentInfo:
    """A saved segment as plain values."""

    id: int
    name: str
    query: str


def segments(session: Session) -> list[SegmentInfo]:
    """Every saved segment, by name (for a broadcast's choice of audience)."""
    return [SegmentInfo(s.id, s.name, s.query) for s in _segments.segments(session)]


def find_segment(session: Session, ref: int | str) -> SegmentInfo | None:
    """The saved segment with this id (a number) or exactly this name, or None."""
    if isinstance(ref, int):
        row = session.get(Segment, ref)
    else:
        row = session.scalar(select(Segment).where(Segment.name == ref.strip()))
    return SegmentInfo(row.id, row.name, row.query) if row is not None else None


def segment_member_ids(
    session: Session, segment_id: int, *, after_id: int = 0, chunk: int = _segments.CHUNK
) -> Iterator[list[int]]:
    """A segment's subscriber ids in id order, `chunk` at a time, after `after_id`."""
    return _segments.segment_member_ids(session, segment_id, after_id=after_id, chunk=chunk)
