"""The root command loads an area's commands only when one of them runs, and loaded one area at a
time they are the very commands the areas give all loaded at once."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import typer

from evergreen.areas import all_areas
from evergreen.cli import app, area_commands

# In a fresh interpreter: which area command modules `evergreen` imports before any area command
# is asked for, then each area's command tree right after loading it, in the order given (an area
# whose import added commands to an area loaded before it would show up as a difference).
_CHILD = """
import json, sys
import typer
from evergreen.cli import app
from tests.test_cli_areas import tree
root = typer.main.get_command(app)
early = sorted(m for m in sys.modules if m.startswith("evergreen.") and m.endswith(".cli")
               and m != "evergreen.cli")
ctx = typer.Context(root)
trees = {name: tree(root.get_command(ctx, name)) for name in json.loads(sys.argv[1])}
print(json.dumps({"early": early, "trees": trees}))
"""


def tree(command: Any) -> Any:
    """A command's shape: a group's subcommands by name, a command's parameters."""
    assert command is not None
    if hasattr(command, "commands"):
        return {name: tree(sub) for name, sub in sorted(command.commands.items())}
    return sorted(param.name or "" for param in command.params)


def _lazily(names: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(names)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_each_area_gives_the_commands_it_names() -> None:
    for area in all_areas():
        assert set(area_commands(area)) == set(area.command_names), area.name


def test_commands_loaded_one_area_at_a_time_equal_all_loaded_at_once() -> None:
    eager = {name: tree(command) for area in all_areas() for name, command in
             area_commands(area).items()}  # fmt: skip
    names = list(eager)
    for order in (names, names[::-1]):
        child = _lazily(order)
        assert child["early"] == []  # `evergreen version` imports no area's commands
        assert child["trees"] == eager


def test_help_lists_every_area_command_after_the_programs_own() -> None:
    root = typer.main.get_command(app)
    listed = root.list_commands(typer.Context(root))
    own = ["version", "serve", "worker", "tasks", "db"]
    assert listed[: len(own)] == own
    assert set(listed[len(own) :]) == {n for area in all_areas() for n in area.command_names}
