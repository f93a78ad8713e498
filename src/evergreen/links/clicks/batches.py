"""Which spooled clicks a pass takes, and in what order: the unread lines of every segment merged
by click time, so that clicks written at the same moment by several web processes (a segment
each) are decided in the order they happened. The ingester's memory of each (link, visitor)
decides a click only when it comes after everything remembered; a batch out of time order is
decided again from the stored clicks, which costs several times as much."""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from operator import itemgetter, le
from typing import Any

from evergreen.links.clicks.spool import Segment

__all__ = ["Batch", "Plan", "plan"]


@dataclass
class Batch:
    """Clicks to store in one transaction (time order), and how far each segment is then read."""

    records: list[dict[str, Any]] = field(default_factory=list)
    offsets: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """The batches of a read, and whether lines were left unread (read again for them)."""

    batches: list[Batch]
    more: bool


def _time(record: dict[str, Any]) -> float:
    at = record.get("t")
    return at if type(at) in (int, float) else 0.0  # type: ignore[return-value]  # unreadable: first


def _lines(number: int, segment: Segment) -> Iterator[tuple[float, int, int]]:
    for line, record in enumerate(segment.records):
        yield _time(record), number, line


def _merged(segments: Sequence[Segment]) -> Iterator[tuple[float, int, int]]:
    """(time, segment index, line index) of every line read, in time order; each segment's lines
    keep their own order, so what is taken of a segment is always a prefix of it."""
    return heapq.merge(*(_lines(number, segment) for number, segment in enumerate(segments)))


def plan(segments: Sequence[Segment], size: int, limit: int) -> Plan:
    """Batches of `size` clicks from the segments' lines merged by time, up to the end of the
    first segment whose read stopped at `limit` lines with more left: past that point its next
    lines, unread, could be older than any other segment's."""
    read = [segment for segment in segments if segment.records]
    if len(read) == 1:  # one writer: its lines are in the order they were answered
        return _one(read[0], size, limit)
    cut = [len(segment.records) >= limit for segment in read]
    consecutive = _consecutive(read, size, cut)
    if consecutive is not None:
        return consecutive
    taken = [0] * len(read)
    batches: list[Batch] = [Batch()]
    more = False
    for _at, number, line in _merged(read):
        if len(batches[-1].records) >= size:
            batches.append(Batch())
        current = batches[-1]
        segment = read[number]
        current.records.append(segment.records[line])
        taken[number] = line + 1
        current.offsets[segment.name] = segment.ends[line]
        if cut[number] and line + 1 == len(segment.records):
            more = True
            break
    more = more or any(n < len(s.records) for n, s in zip(taken, read, strict=True))
    return Plan([b for b in batches if b.records], more)


def _one(segment: Segment, size: int, limit: int) -> Plan:
    """A single segment's lines in slices: no merge, no work per line."""
    count = len(segment.records)
    batches = [
        Batch(segment.records[start : start + size],
              {segment.name: segment.ends[min(start + size, count) - 1]})
        for start in range(0, count, size)
    ]  # fmt: skip
    return Plan(batches, count >= limit)


_NUMBERS = frozenset((int, float))


def _consecutive(read: Sequence[Segment], size: int, cut: Sequence[bool]) -> Plan | None:
    """The merge without merging where the segments' lines, one segment after another, are in
    time order already (one writer's segments, rotated as they filled): the merge's order is
    then theirs, checked in C a few times faster than the merge walks them. None otherwise."""
    try:
        times = list(chain.from_iterable(map(itemgetter("t"), s.records) for s in read))
    except KeyError:  # an unreadable line: the merge takes it first
        return None
    if not _NUMBERS.issuperset(map(type, times)) or not all(map(le, times, islice(times, 1, None))):
        return None
    last = cut.index(True) if True in cut else len(read) - 1  # the merge stops where it ends
    taken = read[: last + 1]
    records = list(chain.from_iterable(segment.records for segment in taken))
    firsts = [0]
    for segment in taken:
        firsts.append(firsts[-1] + len(segment.records))
    batches = []
    for start in range(0, len(records), size):
        end = min(start + size, len(records))
        offsets = {
            segment.name: segment.ends[min(end, after) - first - 1]
            for segment, first, after in zip(taken, firsts, firsts[1:], strict=False)
            if first < end and after > start
        }
        batches.append(Batch(records[start:end], offsets))
    return Plan(batches, any(cut))
