"""The click spool under concurrent appends, size and age rotation, and shutdown."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from evergreen.links.clicks import spool as spool_module
from evergreen.links.clicks.spool import ClickSpool, SpoolReader


def _read_all(folder: Path) -> list[dict[str, object]]:
    reader = SpoolReader(folder)
    records: list[dict[str, object]] = []
    for segment in reader.segments({}, 1_000_000):
        assert segment.finished, f"{segment.name} is still held by a writer"
        records.extend(segment.records)
    return records


def test_concurrent_appends_across_rotations_keep_every_line_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spool_module, "_MAX_SEGMENT_BYTES", 4096)  # a rotation every ~40 lines
    monkeypatch.setattr(spool_module, "_MAX_SEGMENT_AGE", 0.05)  # and by age, from the syncer
    monkeypatch.setattr(spool_module, "_RETIRE_GRACE", 0.05)
    spool = ClickSpool(tmp_path, sync_interval=0.05)

    def writer(name: str) -> None:
        for n in range(400):
            spool.append({"id": f"{name}-{n}", "pad": "x" * 60})
            if n % 50 == 0:
                time.sleep(0.01)  # let the syncer retire segments mid-stream

    threads = [threading.Thread(target=writer, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    spool.close()
    records = _read_all(tmp_path)
    ids = [str(r["id"]) for r in records]
    assert "_corrupt" not in str(records)
    assert sorted(ids) == sorted(f"w{i}-{n}" for i in range(4) for n in range(400))
    assert len(list(tmp_path.glob("*.clicks"))) > 10  # it did rotate


def test_retired_segments_are_released_after_the_grace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spool_module, "_MAX_SEGMENT_AGE", 0.05)
    monkeypatch.setattr(spool_module, "_RETIRE_GRACE", 0.05)
    spool = ClickSpool(tmp_path, sync_interval=0.05)
    spool.append({"id": "a"})
    deadline = time.monotonic() + 5
    finished: list[str] = []
    while time.monotonic() < deadline and not finished:
        time.sleep(0.05)
        finished = [s.name for s in SpoolReader(tmp_path).segments({}, 10) if s.finished]
    assert finished, "an idle segment was never released to the ingester"
    spool.close()


def test_nothing_is_appended_after_close(tmp_path: Path) -> None:
    spool = ClickSpool(tmp_path)
    spool.append({"id": "a"})
    spool.close()
    with pytest.raises(RuntimeError):
        spool.append({"id": "b"})
    assert [r["id"] for r in _read_all(tmp_path)] == ["a"]


def test_many_clicks_go_in_one_write_whole_and_in_order_across_a_rotation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spool_module, "_MAX_SEGMENT_BYTES", 2048)
    spool = ClickSpool(tmp_path, sync_interval=0.05)
    spool.append({"id": "first", "pad": "x" * 1500})
    spool.append_many([{"id": f"c{n}", "pad": "x" * 20} for n in range(30)])  # ~1.2 KB: rotates
    spool.close()
    records = _read_all(tmp_path)
    assert [r["id"] for r in records] == ["first", *(f"c{n}" for n in range(30))]
    assert len(list(tmp_path.glob("*.clicks"))) == 2  # the batch went whole to the next segment


def test_a_reader_takes_only_what_it_asks_for_reading_on_for_long_lines(tmp_path: Path) -> None:
    spool = ClickSpool(tmp_path, sync_interval=0.05)
    spool.append_many([{"id": f"c{n}", "pad": "x" * (2000 if n % 3 else 10)} for n in range(50)])
    spool.close()
    reader = SpoolReader(tmp_path)
    offsets: dict[str, int] = {}
    taken: list[object] = []
    while True:
        [segment] = list(reader.segments(offsets, 4))  # lines of ~2 KB: past the first read
        taken += [record["id"] for record in segment.records]
        assert segment.end == segment.ends[-1] if segment.records else True
        offsets[segment.name] = segment.end
        if segment.finished:
            break
        assert len(segment.records) == 4
    assert taken == [f"c{n}" for n in range(50)]
