"""What other areas read from the audience: saved segments and their members (a broadcast
walks a segment's subscribers in id order, a chunk at a time, and resumes after the last id)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.orm import Session

from evergreen.audience.service import segments as _segments

__all__ = ["SegmentInfo", "segment_member_ids", "segments"]


@dataclass(frozen=True)
class SegmentInfo:
    """A saved segment as plain values."""

    id: int
    name: str
    query: str


def segments(session: Session) -> list[SegmentInfo]:
    """Every saved segment, by name (for a broadcast's choice of audience)."""
    return [SegmentInfo(s.id, s.name, s.query) for s in _segments.segments(session)]


def segment_member_ids(
    session: Session, segment_id: int, *, after_id: int = 0, chunk: int = _segments.CHUNK
) -> Iterator[list[int]]:
    """A segment's subscriber ids in id order, `chunk` at a time, after `after_id`."""
    return _segments.segment_member_ids(session, segment_id, after_id=after_id, chunk=chunk)
