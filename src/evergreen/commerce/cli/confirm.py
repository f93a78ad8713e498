"""Asking before a command that cannot be taken back (money refunded, a subscription ended):
--yes skips the question, and with no terminal to ask it is refused, so a script never acts
unconfirmed."""

from __future__ import annotations

import sys

import typer

from evergreen.console import failure

__all__ = ["confirmed"]


def _at_terminal() -> bool:
    """Whether a person can answer: standard input is a terminal."""
    return sys.stdin.isatty()


def confirmed(shown: str, question: str, refusal: str, *, yes: bool) -> None:
    """Go on when --yes was given or the person, shown what will happen, says yes; with no
    terminal: `refusal` in one line and exit 2; a "no" (the default): exit 1. Nothing changed."""
    if yes:
        return
    if not _at_terminal():
        raise failure(f"{refusal}; add --yes to confirm")
    typer.echo(shown)
    try:
        agreed = typer.confirm(question, default=False)
    except typer.Abort:  # end of input is a no
        agreed = False
    if not agreed:
        typer.echo("Nothing changed.")
        raise typer.Exit(1)
