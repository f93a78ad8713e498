"""An ID past 64 bits given to a command is a usage error naming it, never a traceback: SQLite
raised OverflowError on such an ID, from `ledger reverse` to `household income remove`. The walk
covers every command of every area (and the top-level ones), so a new command cannot skip it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from evergreen.areas import all_areas
from evergreen.cli import app, area_commands
from evergreen.db import MAX_ID
from tests.cli_helpers import evergreen, refused

# Parameters that name a row although their name does not end in _id (nor their help say "id").
_ROW_NAMES = {"loan", "draw", "borrower", "document", "transaction", "price", "funnel"}
_SAYS_ID = re.compile(r"\bids?\b", re.IGNORECASE)


def _commands(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Each leaf command under `command`, by its words (duck-typed: Typer may bring its own
    copy of Click's classes)."""
    if hasattr(command, "commands"):
        for name, child in command.commands.items():
            yield from _commands(child, (*path, name))
    else:
        yield path, command


def _leaves() -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command: the top-level ones, and each area's (loaded on demand by the CLI)."""
    yield from _commands(typer.main.get_group(app), ())
    for area in all_areas():
        for name, command in area_commands(area).items():
            yield from _commands(command, (name,))


def _names_a_row(param: Any) -> bool:
    named = param.name or ""
    return (
        named.endswith("_id")
        or named in _ROW_NAMES
        or bool(_SAYS_ID.search(getattr(param, "help", None) or ""))
    )


def _id_params() -> list[tuple[str, Any]]:
    """(command words, parameter) of each integer parameter that names a row."""
    return [
        (" ".join(path), param)
        for path, leaf in _leaves()
        for param in leaf.params
        if param.type_descriptor.annotation is int and _names_a_row(param)
    ]


def test_every_id_a_command_takes_is_bounded_by_what_the_database_stores() -> None:
    ids = _id_params()
    areas = {where.split()[0] for where, _param in ids}
    assert len(ids) >= 50  # the walk reaches the commands
    assert {"mail", "webinars", "commerce", "ledger", "lending"} <= areas
    loose = [(where, param.name) for where, param in ids if (param.min, param.max) != (1, MAX_ID)]
    assert not loose, f"take these with evergreen.console.row_id_argument/_option: {loose}"


@pytest.mark.parametrize(
    "args",
    [
        ["ledger", "reverse", str(2**63)],
        ["partners", "statement", str(2**63)],
        ["lending", "payoff", str(2**64)],
        ["household", "income", "remove", str(2**63)],
        ["networks", "import", str(2**63), "report.csv"],
        ["mail", "pause", str(2**70)],
        ["mail", "send", str(2**70)],
        ["webinars", "offer", "remove", "1", str(2**70)],
        ["commerce", "order", "refund", str(2**70)],
        ["commerce", "supplier", "orders", "--supplier", str(2**70)],
        ["commerce", "service", "task", "1", "--done", str(2**70)],
        ["commerce", "subscription", "change", "1", "--price", str(2**70)],
        ["commerce", "rollups", "rebuild", "--funnel", str(2**70)],
    ],
)
def test_an_id_past_64_bits_is_one_line_naming_it(args: list[str], tmp_path: Path) -> None:
    done = evergreen(*args, data_dir=tmp_path / "data", database_url=None)
    refused(done, "Invalid value for")  # exit 2, one line
    assert str(MAX_ID) in done.stderr  # the limit it is past
    assert "--help" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
