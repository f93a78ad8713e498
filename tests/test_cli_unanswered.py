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


def test_a_file_to_write_needs_a_name_that_can_be_found_again(tmp_path: Path) -> None:
    """Blank names and names with control characters or direction marks are refused, naming
    the option, and nothing is written where the command ran."""
    data = tmp_path / "data"
    succeeded(_run(data, "links", "create", "https://shop.example/book", "--slug", "book"))
    succeeded(_run(data, "partners", "add", "--name", "Ana", "--email", "ana@example.com"))
    for name in ("   ", "\x01x", "\u202eevil.csv"):
        for args, option in (
            (("db", "backup", str(tmp_path / name)), "FILE"),
            (("partners", "statement", "1", "--out", str(tmp_path / name)), "--out"),
            (("links", "qr", "book", "--out", str(tmp_path / f"{name}.png")), "--out"),
        ):
            refused(_run(data, *args), option)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_a_price_rule_that_is_not_there_is_named_before_asking(tmp_path: Path) -> None:
    """A price rule that is not there is one line naming it, asked nothing."""
    data = tmp_path / "data"
    refused(_run(data, "commerce", "apply-rule", "nope"), "nope")
