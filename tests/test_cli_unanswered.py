"""A command that asks before what cannot be taken back, run with no answer at all (standard
input closed, as a script's often is): one line saying which option answers instead, exit 2,
nothing changed — never a bare "Aborted."."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.cli_helpers import evergreen, refused, succeeded


def _run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen(*args, data_dir=data, database_url=None)


def test_unanswered_questions_name_the_option_and_change_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    succeeded(_run(data, "links", "create", "https://shop.example/book", "--slug", "book"))
    succeeded(_run(data, "streams", "add", "Blog", "--kind", "affiliate"))
    succeeded(
        _run(data, "hours", "add", "--stream", "Blog", "--date", "2026-03-02", "--hours", "2")
    )
    for args, named in (
        (("links", "delete", "book"), "--yes"),
        (("hours", "delete", "1"), "--yes"),
        (("user", "create"), "--email"),
    ):
        refused(_run(data, *args), named)
    assert '"book"' in succeeded(_run(data, "links", "list", "--json"))
    assert "2026-03-02" in succeeded(_run(data, "hours", "list"))
