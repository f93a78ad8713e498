"""Clicks answered but not ingested are found in the spool by click ID, read-only."""

from __future__ import annotations

import time
from pathlib import Path

from evergreen.links.clicks.answered import find_spooled
from evergreen.links.clicks.spool import ClickSpool


def _click_id(now: float, tail: str) -> str:
    return f"{int(now * 1000):012x}{tail * 20}"


def test_spooled_clicks_are_found_by_id_complete_lines_only(tmp_path: Path) -> None:
    spool = ClickSpool(tmp_path, sync_interval=0.05)
    now = time.time()
    first, second, never = _click_id(now, "a"), _click_id(now, "b"), _click_id(now, "c")
    try:
        spool.append({"id": first, "l": 7, "t": now, "v": "v1", "ua": "UA", "q": {"sub1": "x"}})
        spool.append({"id": second, "l": 8, "t": now, "ua": "UA"})
        (segment,) = tmp_path.glob("*.clicks")
        with segment.open("ab") as handle:  # a writer killed mid-line leaves half a record
            handle.write(f'{{"id":"{never}","l":9,"t":'.encode())
        found = find_spooled(tmp_path, [first, second, never, "not-a-click-id", ""])
    finally:
        spool.close()
    assert set(found) == {first, second}
    assert (found[first]["l"], found[first]["q"]) == (7, {"sub1": "x"})
    assert found[second]["l"] == 8
    assert find_spooled(tmp_path / "missing", [first]) == {}
