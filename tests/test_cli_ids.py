"""An ID past 64 bits given to a command is a usage error naming it, never a traceback: SQLite
raised OverflowError on such an ID, from `ledger reverse` to `household income remove`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from evergreen.areas import all_areas
from evergreen.cli import app, area_commands
from evergreen.db import MAX_DB_INT

_MONEY_AREAS = {"ledger", "partners", "networks", "lending", "household"}
# Parameters that name a row although their name does not end in _id.
_ROW_NAMES = {"loan", "draw", "borrower", "document", "transaction"}


def _commands(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Each leaf command under `command`, by its words (duck-typed: Typer may bring its own
    copy of Click's classes)."""
    if hasattr(command, "commands"):
        for name, child in command.commands.items():
            yield from _commands(child, (*path, name))
    else:
        yield path, command


def _id_params() -> list[tuple[str, Any]]:
    """(command words, parameter) of each integer parameter that names a row."""
    found = []
    for area in all_areas():
        if area.name not in _MONEY_AREAS:
            continue
        for name, command in area_commands(area).items():
            for path, leaf in _commands(command, (name,)):
                for param in leaf.params:
                    named = param.name or ""
                    integer = param.type_descriptor.annotation is int
                    if integer and (named.endswith("_id") or named in _ROW_NAMES):
                        found.append((" ".join(path), param))
    return found


def test_every_id_a_money_command_takes_is_bounded_by_what_the_database_stores() -> None:
    ids = _id_params()
    assert len(ids) >= 20  # the walk reaches the commands
    loose = [
        (where, param.name) for where, param in ids if (param.min, param.max) != (1, MAX_DB_INT)
    ]
    assert not loose, f"give these min=1, max=MAX_DB_INT (evergreen.db): {loose}"


@pytest.mark.parametrize(
    "args",
    [
        ["ledger", "reverse", str(2**63)],
        ["partners", "statement", str(2**63)],
        ["lending", "payoff", str(2**64)],
        ["household", "income", "remove", str(2**63)],
        ["networks", "import", str(2**63), "report.csv"],
    ],
)
def test_an_id_past_64_bits_is_a_usage_error_naming_it(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Invalid value for" in result.output
    assert str(MAX_DB_INT) in result.output  # the limit it is past
    assert "Traceback" not in result.output
