"""The order a pass takes spooled clicks in (pure: segments as read, no database)."""

from __future__ import annotations

from typing import Any

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
