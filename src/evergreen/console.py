"""What every command shares: one way to report a person's mistake, one way to ask before what
cannot be taken back, a migrated database, and the bounds of a row's ID."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from evergreen.config import get_settings
from evergreen.csvfile import decode_utf8
from evergreen.db import MAX_ID, Database

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "at_terminal",
    "check_output_file",
    "confirmed",
    "err",
    "failure",
    "in_session",
    "migrated_database",
    "option_name",
    "row_id_argument",
    "row_id_option",
    "utf8_text",
]

T = TypeVar("T")

err = Console(stderr=True)


def failure(message: str) -> typer.Exit:
    """Print `Error: message` on stderr and return the exit (status 2) for the caller to raise.

    The message is plain text: brackets in a name or value are shown, never read as markup.
    """
    err.print(f"[bold red]Error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


# Control characters and the marks that turn text around: a file name with them shows as
# something else in a listing (or as nothing at all).
_HIDDEN = {*range(32), 127, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def check_output_file(path: Path, option: str) -> Path:
    """A file a command is asked to write: a name of its own, nothing blank and nothing hidden in
    it, so the file can be found again afterwards."""
    if not path.stem.strip() or any(ord(c) in _HIDDEN for c in str(path)):
        raise failure(f"{option}: {str(path)!r} is not a file name to write; give one")
    return path


def utf8_text(path: Path) -> str:
    """A file a command reads, as UTF-8 text (a BOM skipped): a file it cannot open, or one in
    another encoding, is one line naming it, exit 2, never text with replacement characters."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise failure(f"cannot read {path}: {exc.strerror or exc}") from None
    return decode_utf8(data, lambda problem: failure(f"{path} {problem}"))


def at_terminal() -> bool:
    """Whether a person can answer a question: standard input is a terminal (a script's or a
    pipe's is not, and must say so with an option instead)."""
    return sys.stdin.isatty()


def confirmed(
    shown: str, question: str, refusal: str, *, yes: bool, declined: str = "Nothing changed."
) -> None:
    """Go on when --yes was given or the person (or a pipe), shown what will happen, answers
    yes. No answer at all (standard input closed, as a script's often is): `refusal` in one
    line naming --yes, exit 2; a "no" (the default): `declined`, exit 1. Nothing is changed."""
    if yes:
        return
    if shown:
        typer.echo(shown)
    try:
        agreed = typer.confirm(question, default=False)
    except typer.Abort:  # the end of input: nobody answered
        typer.echo()
        raise failure(f"{refusal}; add --yes to confirm") from None
    if not agreed:
        typer.echo(declined)
        raise typer.Exit(1)


def option_name(field: str) -> str:
    """How a command spells the option of an input its services name by field: --hourly-rate."""
    return "--" + field.replace("_", "-")


def migrated_database() -> Database:
    """The configured database, migrated first: a command may be the very first thing run."""
    from evergreen import migrate

    settings = get_settings()
    migrate.upgrade(settings.sqlalchemy_url)
    return Database(settings.sqlalchemy_url)


def in_session(work: Callable[[Session], T], *, writer: bool = True) -> T:
    """Run one service call in a transaction of the configured (migrated) database."""
    db = migrated_database()
    try:
        with db.session(writer=writer) as session:
            return work(session)
    finally:
        db.dispose()


def row_id_argument(help_text: str | None = None) -> Any:
    """A row's ID as an argument: 1 to what a database stores, so a larger one is a usage error
    naming it (PostgreSQL refused one past 32 bits, SQLite one past 64)."""
    return typer.Argument(min=1, max=MAX_ID, help=help_text)


def row_id_option(help_text: str | None = None) -> Any:
    """A row's ID as an option, bounded as `row_id_argument`."""
    return typer.Option(min=1, max=MAX_ID, help=help_text)
