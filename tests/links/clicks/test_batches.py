"""The order a pass takes spooled clicks in (pure: segments as read, no database)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from evergreen.links.clicks.batches import plan
from evergreen.links.clicks.spool import Segment


def _segment(name: str, times: list[float], *, start: int = 0, finished: bool = False) -> Segment:
    records: list[dict[str, Any]] = [{"id": f"{name}{i}", "t": at} for i, at in enumerate(times)]
    ends = [start + 10 * (i + 1) for i in range(len(times))]
    return Segment(name, start, ends[-1] if ends else start, records, finished, ends)


def _ids(records: list[dict[str, Any]]) -> list[str]:
    return [record["id"] for record in records]


def test_segments_are_merged_by_time_and_split_into_batches() -> None:
    a = _segment("a", [1.0, 3.0, 5.0])
    b = _segment("b", [2.0, 4.0, 6.0])
    planned = plan([a, b], size=4, limit=10)
    assert [_ids(batch.records) for batch in planned.batches] == [
        ["a0", "b0", "a1", "b1"],
        ["a2", "b2"],
    ]
    assert planned.batches[0].offsets == {"a": 20, "b": 20}
    assert planned.batches[1].offsets == {"a": 30, "b": 30}
    assert planned.more is False


def test_a_read_cut_at_its_limit_ends_the_plan_where_that_segment_ends() -> None:
    """Lines past a cut read are unread: anything later than its last line waits for them."""
    cut = _segment("a", [1.0, 3.0, 5.0], start=100)  # limit 3 reached: more lines in the file
    other = _segment("b", [2.0, 4.0, 6.0, 8.0])
    planned = plan([cut, other], size=10, limit=3)
    assert [_ids(batch.records) for batch in planned.batches] == [["a0", "b0", "a1", "b1", "a2"]]
    assert planned.batches[0].offsets == {"a": 130, "b": 20}  # b is read again from its third
    assert planned.more is True


def test_what_a_pass_takes_of_a_segment_is_a_prefix_even_out_of_order() -> None:
    """A segment whose clock stepped back keeps its order: offsets stay a prefix of it."""
    stepped = _segment("a", [5.0, 1.0, 6.0])
    other = _segment("b", [2.0, 3.0])
    planned = plan([stepped, other], size=10, limit=10)
    (batch,) = planned.batches
    assert _ids(batch.records) == ["b0", "b1", "a0", "a1", "a2"]
    assert batch.offsets == {"a": 30, "b": 20}


def test_an_unreadable_line_is_taken_first_and_a_finished_empty_segment_adds_nothing() -> None:
    bad = Segment("a", 0, 10, [{"_corrupt": "{"}], False, [10])
    empty = _segment("b", [], finished=True)
    planned = plan([bad, empty], size=5, limit=5)
    assert [_ids(b.records) if "id" in b.records[0] else ["bad"] for b in planned.batches] == [
        ["bad"]
    ]
    assert planned.batches[0].offsets == {"a": 10}
    assert planned.more is False
    assert plan([empty], size=5, limit=5).batches == []


def _by_sorting(segments: list[Segment], size: int, limit: int) -> tuple[list[Any], bool]:
    """What a pass must take of segments whose lines are each in time order: every line sorted
    by (time, segment, line), up to the last line of the first segment cut at `limit`."""
    read = [s for s in segments if s.records]
    order = sorted((r["t"], n, i) for n, s in enumerate(read) for i, r in enumerate(s.records))
    taken: list[tuple[int, int]] = []
    cut = False
    for _at, n, i in order:
        taken.append((n, i))
        if len(read[n].records) >= limit and i + 1 == len(read[n].records):
            cut = True
            break
    left = len(taken) < len(order)
    batches = []
    for start in range(0, len(taken), size):
        part = taken[start : start + size]
        offsets: dict[str, int] = {}
        for n, i in part:
            offsets[read[n].name] = read[n].ends[i]
        batches.append(([read[n].records[i]["id"] for n, i in part], offsets))
    return batches, cut or left


@settings(max_examples=300, deadline=None)
@given(
    spans=st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 5), st.booleans()), min_size=1, max_size=4
    ),
    size=st.integers(1, 5),
    limit=st.integers(1, 6),
)
def test_property_a_plan_takes_lines_in_time_order_up_to_the_first_cut(
    spans: list[tuple[int, int, bool]], size: int, limit: int
) -> None:
    """One segment after another (as one writer rotates them) or overlapping (several writers):
    the plan is the lines sorted by time, segment and line, cut where a cut segment ends."""
    segments = []
    for number, (begin, count, after_the_last) in enumerate(spans):
        base = 10.0 * number if after_the_last else float(begin)
        segments.append(_segment(f"s{number}", [base + i for i in range(count)]))
    planned = plan(segments, size=size, limit=limit)
    got = [(_ids(b.records), b.offsets) for b in planned.batches]
    assert (got, planned.more) == _by_sorting(segments, size, limit)
