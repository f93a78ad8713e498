"""Run every `evergreen` command with odd values, one parameter at a time, and list tracebacks.

    .venv/bin/python scripts/run_every_command.py

A fresh data folder with the demo loaded, every command called in this process as
tests/cli_helpers.run_cli does (main(), its streams and exit status). For each parameter of each
command, the others get a plain value (1, x, a small CSV file, an enum's first member) and that
one each odd value in turn (empty, NaN, 1e999, 2^31, 2^63, a long or non-ASCII text, an
impossible date, markup). Commands that serve, wait or follow are left out; any run past 20 s is
reported. Not part of the test run: an exploration whose finds become tests. It runs in a
scratch folder, where commands that write files leave them.
"""

from __future__ import annotations

import enum
import os
import pathlib
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import typer
import typer._click as click

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # tests.cli_helpers

from tests.cli_helpers import run_cli

from evergreen import cli, migrate
from evergreen.accounts import service as accounts
from evergreen.accounts.rules import Role
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.demo.service import load_demo

ODD = ["", "\u00b2", "NaN", "1e999", "-1", "2147483648", "9223372036854775808", "x" * 3000,
       "2026-02-30", "<b>", "1,5", "é😀"]  # fmt: skip
LEFT_OUT = {"serve", "worker", "demo"}
LEFT_OUT_WORDS = ("follow", "wait", "watch", "loop")


def commands(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    """(words, command) of every command under a group."""
    if hasattr(command, "list_commands"):
        context = click.core.Context(command)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            if sub is not None:
                yield from commands(sub, [*path, name])
    else:
        yield path, command


def plain(parameter: Any, csv: pathlib.Path) -> str:
    """A value the parameter's type accepts."""
    kind = parameter.type_descriptor.annotation
    kind = (getattr(kind, "__args__", None) or (kind,))[0]
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return str(next(iter(kind)).value)
    if kind in (int, float):
        return "1"
    return str(csv) if kind is pathlib.Path else "x"


def arguments(
    words: list[str], command: Any, target: Any, odd: str, csv: pathlib.Path
) -> list[str]:
    """The command line: `odd` for `target`, a plain value for every other required one."""
    args = list(words)
    for parameter in _parameters(command):
        if parameter is not target and not parameter.required:
            continue
        value = odd if parameter is target else plain(parameter, csv)
        if parameter.param_type_name == "argument":
            args += [value] * max(parameter.nargs, 1)
        else:
            args += [parameter.opts[0], value]
    if any("--yes" in getattr(p, "opts", ()) for p in command.params):
        args.append("--yes")
    return args


def _parameters(command: Any) -> list[Any]:
    return [
        p
        for p in command.params
        if p.name != "help" and not getattr(p, "is_flag", False) and not getattr(p, "count", False)
    ]


class _TooLong(Exception):
    pass


def _alarm(*_: object) -> None:
    raise _TooLong


def main() -> int:
    folder = pathlib.Path(tempfile.mkdtemp(prefix="evergreen-commands-"))
    data = folder / "data"
    data.mkdir()
    url = f"sqlite:///{data / 'evergreen.db'}"
    key = secrets.token_urlsafe(32)
    migrate.upgrade(url)
    db = Database(url)
    with db.session() as session:
        accounts.create_user(session, "owner@example.com", secrets.token_urlsafe(16), Role.OWNER)
    load_demo(
        db, Settings(env="test", data_dir=data, database_url=url, secret_key=key), date.today()
    )
    db.dispose()
    csv = folder / "file.csv"
    csv.write_text("a,b\n1,2\n")
    env: dict[str, str | None] = {
        "EVERGREEN_DATA_DIR": str(data), "EVERGREEN_DATABASE_URL": None,
        "EVERGREEN_SECRET_KEY": key, "EVERGREEN_SMTP_HOST": "127.0.0.1", "EVERGREEN_SMTP_PORT": "9",
        "EVERGREEN_MAIL_FROM": "owner@example.com",
    }  # fmt: skip
    signal.signal(signal.SIGALRM, _alarm)
    os.chdir(folder)
    failures: list[str] = []
    runs, started = 0, time.monotonic()
    try:
        for words, command in commands(typer.main.get_command(cli.app), []):
            if set(words) & LEFT_OUT or any(w in " ".join(words) for w in LEFT_OUT_WORDS):
                continue
            for target in _parameters(command):
                for odd in ODD:
                    args = arguments(words, command, target, odd, csv)
                    shown = " ".join(a[:24] for a in args)
                    signal.alarm(20)
                    try:
                        done = run_cli(args, env, stdin="y\n")
                    except _TooLong:
                        failures.append(f"{shown}: still running after 20 s")
                        continue
                    finally:
                        signal.alarm(0)
                    runs += 1
                    if "Traceback" in done.stderr + done.stdout:
                        failures.append(f"{shown}: {done.stderr.strip().splitlines()[-1][:200]}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{runs} runs in {time.monotonic() - started:.0f} s")
    for failure in failures:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
