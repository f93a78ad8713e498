"""Imports from the command line: a file that is wrong as a whole (empty, a header without
the columns needed) is one line and exit 2, nothing imported; a file with some bad lines
imports the rest and names each line it skipped (exit 1)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from evergreen.db import Database
from evergreen.networks import service
from tests.cli_helpers import evergreen, refused, succeeded


def _run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen(*args, data_dir=data, database_url=None)


def test_a_links_file_wrong_as_a_whole_is_one_line_and_some_bad_lines_are_named(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    empty, header, mixed = tmp_path / "empty.csv", tmp_path / "header.csv", tmp_path / "mixed.csv"
    empty.write_text("")
    header.write_text("title,slug\n")
    mixed.write_text("destination,slug\nhttps://shop.example/a,a\nnot a url,b\n")
    for file in (empty, header):
        done = _run(data, "links", "import", str(file))
        refused(done, "nothing imported")
        assert done.stdout == ""
    assert succeeded(_run(data, "links", "list", "--json")).strip() == "[]"
    partly = _run(data, "links", "import", str(mixed))
    assert partly.returncode == 1
    assert partly.stdout == "Created 1 link.\n"
    assert "Skipped line 3" in partly.stderr


def test_a_network_report_without_its_columns_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    succeeded(_run(data, "partners", "list"))  # the database, migrated
    header = tmp_path / "report.csv"
    header.write_text("date,amount\n")
    db = Database(f"sqlite:///{data / 'evergreen.db'}")
    with db.session() as session:
        network, _secret = service.create_network(session, "Impact")
        network_id = network.id
    db.dispose()
    refused(_run(data, "networks", "import", str(network_id), str(header)), "nothing imported")
