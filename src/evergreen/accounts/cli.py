"""Commands for the owner account, other people and API tokens."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from evergreen.accounts import service as accounts
from evergreen.accounts.rules import Role
from evergreen.console import at_terminal, err, failure, migrated_database

__all__ = ["init", "token_app", "user_app"]

user_app = typer.Typer(help="People who can sign in.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise failure(
                "The password is read from standard input, but standard input was empty: "
                "pipe it in, or run the command in a terminal to be asked."
            )
        return line.rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _create(email: str | None, password_stdin: bool, role: Role) -> str:
    if email is None:
        if password_stdin:
            raise failure("--email is required with --password-stdin.")
        if not at_terminal():  # no one to ask: say which option answers instead
            raise failure("--email is required when standard input is not a terminal.")
        email = typer.prompt("Email")
    password = _read_password(password_stdin)
    db = migrated_database()
    try:
        with db.session() as session:
            address = accounts.create_user(session, email, password, role).email
    finally:
        db.dispose()
    return address


EmailOpt = Annotated[str | None, typer.Option(help="Email address (asked for if missing).")]
StdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def init(email: EmailOpt = None, password_stdin: StdinOpt = False) -> None:
    """Create the owner account (migrating the database first); there is no default password."""
    address = _create(email, password_stdin, Role.OWNER)
    typer.echo(f"Owner {address} created. Start the server with: evergreen serve")


@user_app.command("create")
def user_create(
    email: EmailOpt = None,
    role: Annotated[Role, typer.Option(help="staff or partner.")] = Role.STAFF,
    password_stdin: StdinOpt = False,
) -> None:
    """Add a staff member or partner."""
    if role is Role.OWNER:
        raise failure("Use `evergreen init` for the owner; there is only one.")
    address = _create(email, password_stdin, role)
    typer.echo(f"{role.value.capitalize()} {address} created.")


@user_app.command("list")
def user_list() -> None:
    """List everyone who can sign in."""
    db = migrated_database()
    try:
        with db.session() as session:
            table = Table("id", "email", "role", "active")
            for user in accounts.list_users(session):
                table.add_row(
                    str(user.id), user.email, user.role, "yes" if user.is_active else "no"
                )
    finally:
        db.dispose()
    Console().print(table)


@token_app.command("create")
def token_create(
    email: Annotated[str, typer.Option(help="Whose token (their role limits what it can do).")],
    name: Annotated[str, typer.Option(help="A label to recognise it by.")] = "cli",
) -> None:
    """Issue an API token and print it once; only its hash is stored."""
    db = migrated_database()
    try:
        with db.session() as session:
            raw = accounts.issue_token(session, email, name)
    finally:
        db.dispose()
    typer.echo(raw)
    err.print("Store this token now; it will not be shown again.")


@user_app.command("set-password")
def user_set_password(
    email: Annotated[str, typer.Argument(help="Whose password (anyone, the owner included).")],
    password_stdin: StdinOpt = False,
    revoke_tokens: Annotated[
        bool,
        typer.Option(
            "--revoke-tokens",
            help="Also revoke their API tokens (a password someone else may know).",
        ),
    ] = False,
) -> None:
    """Set someone's password; every browser signed in to that account is signed out (API
    tokens keep working unless --revoke-tokens)."""
    password = _read_password(password_stdin or not sys.stdin.isatty())
    db = migrated_database()
    try:
        with db.session() as session:
            user, revoked = accounts.set_password(
                session, email, password, revoke_tokens=revoke_tokens
            )
            address = user.email
    finally:
        db.dispose()
    tokens = f"; {revoked} API token(s) revoked" if revoke_tokens else ""
    typer.echo(f"Password of {address} changed; their browsers were signed out{tokens}.")
