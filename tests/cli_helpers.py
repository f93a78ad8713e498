"""The `evergreen` command run in the test's own process: its entry point, arguments, environment
and standard streams, as a child process would get them, without ~1 s of imports per call."""

from __future__ import annotations

import subprocess
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from evergreen import cli, db
from evergreen.config import get_settings

__all__ = ["evergreen", "refused", "run_cli", "succeeded"]


def run_cli(
    args: list[str], env: Mapping[str, str | None], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """Call `evergreen.cli.main()` as `evergreen ARGS` would, and answer as subprocess.run does.

    The settings are read afresh from `env` (os.environ with these changes, None removing a
    name); an exception that escapes main() is written to stderr as the traceback a person
    would see, with exit status 1. The engines the command opened are closed afterwards, as
    the end of a process would close them.
    """
    engines: list[Any] = []
    shipped = db.make_engine

    def recorded(*a: Any, **kw: Any) -> Any:
        engine = shipped(*a, **kw)
        engines.append(engine)
        return engine

    argv = sys.argv
    get_settings.cache_clear()
    db.make_engine = recorded  # type: ignore[assignment]
    try:
        with CliRunner().isolation(input=stdin, env=dict(env)) as (out, err, _both):
            sys.argv = ["evergreen", *args]
            try:
                cli.main()
                code = 0
            except SystemExit as exc:
                code, message = _exit_status(exc.code)
                if message:
                    sys.stderr.write(message + "\n")
            except Exception:
                sys.stderr.write(traceback.format_exc())
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
            stdout = out.getvalue().decode("utf-8", "replace")
            stderr = err.getvalue().decode("utf-8", "replace")
    finally:
        sys.argv = argv
        db.make_engine = shipped  # type: ignore[assignment]
        get_settings.cache_clear()
        for engine in engines:
            engine.dispose()
    return subprocess.CompletedProcess(["evergreen", *args], code, stdout, stderr)


def evergreen(
    *args: str, data_dir: Path, database_url: str | None, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    """Run `evergreen ARGS` with its own data folder, in this process (main(), as the child's);
    with no database URL, the data folder's SQLite database."""
    changes: dict[str, str | None] = {"EVERGREEN_DATA_DIR": str(data_dir), **env}
    if database_url:
        changes["EVERGREEN_DATABASE_URL"] = database_url
    return run_cli(list(args), changes, stdin)


def succeeded(done: subprocess.CompletedProcess[str]) -> str:
    """The output of a command that must succeed; its error output shown when it did not."""
    assert done.returncode == 0, done.stderr
    return done.stdout


def refused(done: subprocess.CompletedProcess[str], field: str) -> None:
    """A command refused as a person should see it: exit 2, one line that names the field."""
    assert done.returncode == 2, (done.args, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert field in lines[0], lines


def _exit_status(code: object) -> tuple[int, str]:
    """The status and message of sys.exit(code), as the interpreter reports them."""
    if code is None:
        return 0, ""
    if isinstance(code, int):
        return code, ""
    return 1, str(code)


def cli_on(data_dir: Path, args: Sequence[str], password: str | None = None) -> str:
    """Run `evergreen ARGS` on a server's data folder (a password on stdin), in this process;
    its stdout, once it succeeded."""
    done = run_cli(
        list(args),
        {"EVERGREEN_DATA_DIR": str(data_dir), "EVERGREEN_DATABASE_URL": None},
        stdin="" if password is None else password + "\n",
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
