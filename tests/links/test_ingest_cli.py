"""`evergreen links ingest --interval` sets the pause between passes of --follow; on a single
pass it would be ignored, so it is refused in one line naming both options (exit 2)."""

from __future__ import annotations

from pathlib import Path

from tests.cli_helpers import evergreen, refused, succeeded


def test_an_interval_without_follow_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for args in (("--interval", "5"), ("--interval", "5", "--no-follow"),
                 ("--interval", "1", "--spool", str(tmp_path))):  # fmt: skip
        done = evergreen("links", "ingest", *args, data_dir=data, database_url=None)
        refused(done, "--interval")
        assert "--follow" in done.stderr
    once = evergreen("links", "ingest", data_dir=data, database_url=None)
    assert succeeded(once) == "Ingested 0 clicks.\n"
