"""`evergreen audience …`: lists, subscribers, import and export from the command line (sign-up
forms: forms_cli.py).

Bad input (an address, a list name, a file) is one line naming it and exit 2, with nothing
stored: each command is one transaction.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

from evergreen.audience import queries, service
from evergreen.audience.forms_cli import forms_app
from evergreen.audience.rules import Source
from evergreen.audience.service import Consent
from evergreen.config import get_settings, resolve_secret_key
from evergreen.console import check_output_file, err, failure, in_session
from evergreen.errors import NotFound
from evergreen.siteurl import cli_site_url

__all__ = ["app"]

app = typer.Typer(
    help="Your audience: lists, subscribers with consent, import and export.",
    no_args_is_help=True,
)
lists_app = typer.Typer(help="Mailing lists.", invoke_without_command=True)
app.add_typer(lists_app, name="lists")
app.add_typer(forms_app, name="forms")


def _secret() -> str:
    return resolve_secret_key(get_settings())


def _person(session: Session, email: str) -> queries.SubscriberCard:
    card = queries.find_by_email(session, email)
    if card is None:
        raise NotFound("email", f"no subscriber with the address {email.strip()!r}")
    return card


@lists_app.callback()
def lists_show(ctx: typer.Context) -> None:
    """Every list with its counts per status."""
    if ctx.invoked_subcommand is not None:
        return
    rows = in_session(queries.list_counts)
    if not rows:
        typer.echo("No lists yet: evergreen audience lists add NAME")
    for row in rows:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(row.counts.items())) or "empty"
        opt_in = "double opt-in" if row.double_opt_in else "single opt-in"
        typer.echo(f"{row.id}  {row.name}  ({opt_in}): {counts}")


@lists_app.command("add")
def lists_add(
    name: Annotated[str, typer.Argument(help="The list's name, e.g. 'Weekly letter'.")],
    single_opt_in: Annotated[
        bool, typer.Option("--single-opt-in", help="Subscribe at once, without a confirmation.")
    ] = False,
) -> None:
    """Create a list (double opt-in unless --single-opt-in)."""
    row_id = in_session(lambda s: service.create_list(s, name, double_opt_in=not single_opt_in).id)
    typer.echo(f"Created list {name.strip()!r} (id {row_id}).")


@app.command("import")
def import_csv(
    file: Annotated[
        Path,
        typer.Argument(
            help="A CSV export of Mailchimp, Kit, listmonk or "
            "Evergreen, or any CSV with an email column."
        ),
    ],
    list_name: Annotated[
        str,
        typer.Option(
            "--list",
            help="The list to import into; created (double opt-in) when it does not exist yet.",
        ),
    ],
    preview: Annotated[
        bool, typer.Option("--preview", help="Show what would happen; store nothing.")
    ] = False,
) -> None:
    """Import subscribers; the format is detected from the header. Unsubscribed and cleaned
    rows never subscribe anyone; a row that cannot be read is reported by its line."""
    if not file.is_file():
        raise failure(f"file: {file} does not exist")
    if preview:
        with file.open("rb") as handle:
            shown = service.preview_import(handle)
        typer.echo(orjson.dumps(shown.to_dict(), option=orjson.OPT_INDENT_2).decode())
        return
    secret, size = _secret(), file.stat().st_size
    columns = [TextColumn("Importing"), BarColumn(), DownloadColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=False, disable=not err.is_terminal) as bar:
        task = bar.add_task("bytes", total=max(size, 1))

        def work(session: Session) -> service.ImportResult:
            target = service.list_named(session, list_name, create=True)
            with file.open("rb") as handle:
                return service.run_import(
                    session, secret, handle, target.id,
                    progress=lambda _rows, done: bar.update(task, completed=done),
                )  # fmt: skip

        result = in_session(work)
        bar.update(task, completed=size)
    typer.echo(
        f"{result.rows} rows ({result.format}): {result.created} new, {result.updated} updated, "
        f"{result.subscribed} subscribed, {result.unsubscribed} unsubscribed, "
        f"{result.suppressed} suppressed, {result.unchanged} unchanged, "
        f"{result.erased_skipped} erased before (skipped), {result.error_count} with errors."
    )
    for error in result.errors[:20]:
        err.print(f"line {error.line}: {error.field}: {error.message}", highlight=False,
                  soft_wrap=True, markup=False)  # fmt: skip


@app.command("show")
def show(
    email: Annotated[str, typer.Argument(help="The subscriber's address (any spelling).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """A subscriber: overall status, lists and fields."""
    card = in_session(lambda s: _person(s, email))
    if as_json:
        typer.echo(orjson.dumps(queries.show(card)).decode())
        return
    typer.echo(f"{card.email} ({card.name or 'no name'}): {card.status}")
    for name, status in card.lists.items():
        typer.echo(f"  {name}: {status}")
    if card.tags:
        typer.echo(f"  tags: {', '.join(card.tags)}")
    for key, value in card.fields.items():
        typer.echo(f"  {key} = {value}")


@app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="The address.")],
    list_name: Annotated[str, typer.Option("--list", help="An existing list.")],
    name: Annotated[str | None, typer.Option(help="The person's name.")] = None,
) -> None:
    """Add someone to a list by hand (a double opt-in list leaves them unconfirmed until they
    open the confirmation link printed, as the page shows it)."""
    secret = _secret()

    def work(session: Session) -> service.Subscribed:
        target = service.list_named(session, list_name)
        consent = Consent(Source.MANUAL, form="command line")
        return service.subscribe(session, secret, email, target.id, consent, name=name)

    done = in_session(work)
    if not done.token:
        typer.echo(f"{done.subscriber.email} is {done.status} on {list_name.strip()!r}.")
        return
    link = service.confirm_url(cli_site_url(get_settings()).url, done.token)
    typer.echo(
        f"{done.subscriber.email} is {done.status} on {list_name.strip()!r} until they open "
        f"this confirmation link: {link}"
    )


@app.command("unsubscribe")
def unsubscribe(
    email: Annotated[str, typer.Argument(help="The address.")],
    list_name: Annotated[
        str | None, typer.Option("--list", help="One list; every list if left out.")
    ] = None,
) -> None:
    """Unsubscribe someone from one list or from all of them."""
    secret = _secret()

    def work(session: Session) -> int:
        card = _person(session, email)
        list_id = service.list_named(session, list_name).id if list_name else None
        consent = Consent(Source.MANUAL, form="command line")
        return len(service.unsubscribe(session, secret, card.id, list_id, consent))

    left = in_session(work)
    typer.echo(f"Unsubscribed from {left} list{'s' if left != 1 else ''}.")


@app.command("export")
def export(
    list_name: Annotated[str, typer.Option("--list", help="The list to export.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="A file; standard output if left out.")
    ] = None,
) -> None:
    """Export a list as CSV in Evergreen's format (which `audience import` reads back)."""
    if output is not None:
        check_output_file(output, "--output")

    def work(session: Session) -> int:
        target = service.list_named(session, list_name)
        if output is None:
            return service.export_csv(session, sys.stdout, target.id)
        with output.open("w", encoding="utf-8", newline="") as out:
            return service.export_csv(session, out, target.id)

    count = in_session(work)
    if output is not None:
        typer.echo(f"Exported {count} subscribers to {output}.")


@app.command("erase")
def erase(
    email: Annotated[str, typer.Argument(help="The address.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
) -> None:
    """Erase a person and their history (GDPR); only a keyed hash of the address is kept so
    imports cannot bring them back."""
    if not yes:
        raise failure("erasing cannot be undone; add --yes to confirm")
    secret = _secret()
    in_session(lambda s: service.erase(s, secret, _person(s, email).id))
    typer.echo(f"Erased {email.strip()}.")
