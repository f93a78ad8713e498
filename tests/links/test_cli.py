"""`evergreen links …` as a person runs it: a refused input or a missing link is one clear line."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from pathlib import Path

from evergreen.db import Database
from evergreen.links import service
from evergreen.links.clicks.rollups import add_rollups
from tests.cli_helpers import evergreen


def _links(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen("links", *args, data_dir=tmp_path / "data", database_url=None)


def test_a_refused_link_and_a_missing_one_are_one_line_each(tmp_path: Path) -> None:
    bad = _links(tmp_path, "create", "ftp://shop.example/")
    assert bad.returncode == 2
    assert bad.stderr.startswith("Error: destination: ")
    assert "Traceback" not in bad.stderr
    for args in (
        ("stats", "nope"),
        ("export", "--clicks", "nope"),
        ("qr", "nope", "--out", "x.svg"),
        ("delete", "nope", "--yes"),
    ):
        missing = _links(tmp_path, *args)
        assert missing.returncode == 2, args
        assert missing.stderr.strip() == "Error: No link with slug 'nope'.", args


def test_a_fallback_url_is_set_and_checked_at_the_command_line(tmp_path: Path) -> None:
    bad = _links(tmp_path, "create", "https://shop.example/", "--fallback-url", "shop.example")
    assert bad.returncode == 2
    assert bad.stderr.startswith("Error: fallback_url: must start with http:// or https://")
    made = _links(tmp_path, "create", "https://shop.example/", "--slug", "fb",
                  "--fallback-url", "https://shop.example/gone", "--json")  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert '"fallback_url": "https://shop.example/gone"' in made.stdout


def test_a_link_is_deleted_only_once_confirmed(tmp_path: Path) -> None:
    made = _links(tmp_path, "create", "https://shop.example/book", "--slug", "book")
    assert made.returncode == 0, made.stderr
    kept = evergreen("links", "delete", "book", data_dir=tmp_path / "data", database_url=None,
                     stdin="n\n")  # fmt: skip
    assert kept.returncode == 1
    assert "Delete book → https://shop.example/book and its 0 clicks?" in kept.stdout
    assert "Nothing deleted." in kept.stdout
    assert '"book"' in _links(tmp_path, "list", "--json").stdout
    gone = evergreen("links", "delete", "book", data_dir=tmp_path / "data", database_url=None,
                     stdin="y\n")  # fmt: skip
    assert gone.returncode == 0, gone.stderr
    assert "Deleted book → https://shop.example/book and its 0 clicks." in gone.stdout
    assert _links(tmp_path, "list", "--json").stdout.strip() == "[]"
    again = _links(tmp_path, "delete", "book", "--yes")
    assert again.returncode == 2
    assert again.stderr.strip() == "Error: No link with slug 'book'."


def test_the_confirmation_counts_the_links_clicks(tmp_path: Path) -> None:
    assert _links(tmp_path, "create", "https://shop.example/pen", "--slug", "pen").returncode == 0
    db = Database(f"sqlite:///{tmp_path / 'data' / 'evergreen.db'}")
    try:
        with db.session() as session:
            link_id = service.get_link(session, "pen").id
            today = date.today()
            yesterday = today - timedelta(days=1)
            counts = {(link_id, today, "all", ""): [1200, 1000, 700],
                      (link_id, yesterday, "all", ""): [34, 30, 20]}  # fmt: skip
            add_rollups(session, counts)
    finally:
        db.dispose()
    kept = evergreen("links", "delete", "pen", data_dir=tmp_path / "data", database_url=None,
                     stdin="n\n")  # fmt: skip
    assert "Delete pen → https://shop.example/pen and its 1,234 clicks?" in kept.stdout
