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


def test_a_header_without_rows_imports_nothing_and_says_so(tmp_path: Path) -> None:
    """The right columns and no row under them: exit 2, one line saying so, not "Created 0"."""
    data = tmp_path / "data"
    succeeded(_run(data, "partners", "list"))  # the database, migrated
    db = Database(f"sqlite:///{data / 'evergreen.db'}")
    with db.session() as session:
        network, _secret = service.create_network(session, "Impact")
        network_id = network.id
    db.dispose()
    links, report = tmp_path / "links.csv", tmp_path / "report.csv"
    links.write_text("destination,slug\n\n")
    report.write_text("order_id,commission,currency\n")
    for args in (("links", "import", str(links)),
                 ("networks", "import", str(network_id), str(report))):  # fmt: skip
        done = _run(data, *args)
        refused(done, "no rows")
        assert done.stdout == ""


def test_a_file_not_in_utf8_is_refused_by_name(tmp_path: Path) -> None:
    """Latin-1 (an old spreadsheet's CSV): its name and line, and how to save it, exit 2."""
    data = tmp_path / "data"
    latin = tmp_path / "latin.csv"
    latin.write_bytes("destination,title\nhttps://shop.example/a,Café\n".encode("latin-1"))
    for args in (("links", "import", str(latin)), ("networks", "import", "1", str(latin))):
        done = _run(data, *args)
        refused(done, f"{latin} is not UTF-8 text (line 2")
    assert succeeded(_run(data, "links", "list", "--json")).strip() == "[]"
