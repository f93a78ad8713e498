"""`evergreen audience forms …`: sign-up forms from the command line — list, add, show (with
the page address and the snippet to paste), enable or disable, remove."""

from __future__ import annotations

import re
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from evergreen.audience import queries, service
from evergreen.audience.models import Form
from evergreen.audience.rules.forms import DEFAULT_WORDING
from evergreen.audience.service import forms
from evergreen.audience.snippet import form_snippet
from evergreen.config import get_settings
from evergreen.console import confirmed, in_session, row_id_argument
from evergreen.siteurl import cli_site_url

__all__ = ["forms_app"]

forms_app = typer.Typer(help="Sign-up forms: hosted pages and snippets that join lists.",
                        invoke_without_command=True)  # fmt: skip


def _base() -> str:
    """Where the forms' pages are: EVERGREEN_BASE_URL, else where `serve` last listened."""
    return cli_site_url(get_settings()).url.rstrip("/")


@forms_app.callback()
def forms_list(ctx: typer.Context) -> None:
    """Every sign-up form: its number, address, lists and submissions."""
    if ctx.invoked_subcommand is not None:
        return

    base = _base()

    def work(session: Session) -> list[str]:
        names = {row.id: row.name for row in queries.list_counts(session)}
        return [
            f"{row.id}  {row.name}  {base}/f/{row.slug}  "
            f"({', '.join(names.get(i, f'list {i}') for i in row.list_ids or [])}; "
            f"{row.submissions} sign-ups{'' if row.enabled else '; off'})"
            for row in forms.list_forms(session)
        ]

    lines = in_session(work, writer=False)
    if not lines:
        typer.echo("No sign-up forms yet: evergreen audience forms add NAME --list LIST")
    for line in lines:
        typer.echo(line)


@forms_app.command("add")
def forms_add(
    name: Annotated[str, typer.Argument(help="The form's name, e.g. 'Blog footer'.")],
    lists: Annotated[list[str], typer.Option("--list", help="A list it joins (repeat for more).")],
    slug: Annotated[
        str | None, typer.Option(help="Its address, /f/SLUG; from the name if left out.")
    ] = None,
    wording: Annotated[
        str, typer.Option(help="The consent wording shown and recorded.")
    ] = DEFAULT_WORDING,
    heading: Annotated[str, typer.Option(help="The page's heading.")] = "",
    ask_name: Annotated[bool, typer.Option("--ask-name/--no-name", help="Ask for a name.")] = True,
    redirect_url: Annotated[str, typer.Option(help="Where to go after signing up.")] = "",
) -> None:
    """Create a sign-up form; prints its page address."""
    chosen = slug if slug is not None else re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]

    def work(session: Session) -> tuple[int, str]:
        row = forms.create_form(
            session,
            forms.FormInput(
                name=name, slug=chosen, wording=wording,
                list_ids=[service.list_named(session, each).id for each in lists],
                heading=heading, ask_name=ask_name, redirect_url=redirect_url,
            ),
        )  # fmt: skip
        return row.id, row.slug

    number, stored = in_session(work)
    typer.echo(f"Created form {number}: {_base()}/f/{stored}")
    typer.echo(f"Its snippet: evergreen audience forms show {number}")


def _shown(row: Form) -> str:
    base = _base()
    return f"{row.id}  {row.name}\nPage: {base}/f/{row.slug}\nSnippet to paste:\n" + (
        form_snippet(row, base)
    )


@forms_app.command("show")
def forms_show(number: Annotated[int, row_id_argument("The form's number.")]) -> None:
    """A form's page address and the HTML snippet that embeds it on another site."""
    typer.echo(in_session(lambda s: _shown(forms.get_form(s, number)), writer=False))


@forms_app.command("enable")
def forms_enable(
    number: Annotated[int, row_id_argument("The form's number.")],
    off: Annotated[bool, typer.Option("--off", help="Switch it off instead.")] = False,
) -> None:
    """Switch a form on (or off with --off: its page and endpoint answer 404, nothing is lost)."""

    def work(session: Session) -> str:
        row = forms.get_form(session, number)
        forms.update_form(session, number, forms.form_input(row, enabled=not off))
        return row.name

    name = in_session(work)
    typer.echo(f"Form {number} ({name}) is {'off' if off else 'on'}.")


@forms_app.command("remove")
def forms_remove(
    number: Annotated[int, row_id_argument("The form's number.")],
    yes: Annotated[bool, typer.Option("--yes", help="Remove without asking.")] = False,
) -> None:
    """Delete a form; the people it signed up and their consent records stay."""
    name = in_session(lambda s: forms.get_form(s, number).name, writer=False)
    confirmed(
        "", f"Remove the form {name!r}? Its page stops answering.",
        "removing a form cannot be undone", yes=yes, declined="Nothing removed.",
    )  # fmt: skip
    in_session(lambda s: forms.delete_form(s, number))
    typer.echo(f"Removed form {number} ({name}); the people it signed up stay.")
