"""`evergreen networks …`: import a network's commission report from a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evergreen.console import err, failure, migrated_database, row_id_argument, utf8_text
from evergreen.db import utcnow
from evergreen.networks import service

__all__ = ["app"]

app = typer.Typer(help="Your own affiliate income from networks.", no_args_is_help=True)


@app.command("import")
def import_report(
    network_id: Annotated[int, row_id_argument("The network's id.")],
    file: Annotated[Path, typer.Argument(help="The network's commission report (CSV).")],
) -> None:
    """Import a commission report with the network's saved column mapping (re-importable)."""
    text = utf8_text(file)
    db = migrated_database()
    try:
        with db.session() as session:
            network = service.get_network(session, network_id)
            result = service.import_report(session, network, text, utcnow())
    finally:
        db.dispose()
    if result.errors and not (result.created or result.updated or result.unchanged):
        line, field, message = result.errors[0]  # the file itself is wrong: one line, exit 2
        more = f" (and {len(result.errors) - 1} more)" if len(result.errors) > 1 else ""
        raise failure(f"nothing imported: line {line}: {field}: {message}{more}")
    if not (result.errors or result.created or result.updated or result.unchanged):
        raise failure(f"nothing imported: {file} has no rows under its header")
    typer.echo(f"Created {result.created}, updated {result.updated}, unchanged {result.unchanged}.")
    for line, field, message in result.errors:
        err.print(f"[yellow]Skipped[/] line {line}: {field}: {message}", soft_wrap=True)
    if result.errors:
        raise typer.Exit(1)
