"""`evergreen commerce grant …`: grants by hand (comps, manual sales), the list of a product's
buyers, revocation."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.console import in_session

__all__ = ["grant_app"]

grant_app = typer.Typer(help="Grants: who may download a product.", no_args_is_help=True)


@grant_app.command("add")
def grant_add(
    name: Annotated[str, typer.Argument(help="The product's name or id.")],
    email: Annotated[str, typer.Option("--email", help="The buyer's email address.")],
    source: Annotated[
        str, typer.Option("--source", help="Where it comes from (default manual:<email>).")
    ] = "",
) -> None:
    """Grant a product by hand (once per source); prints its license key when it has one."""

    def work(session: Session) -> list[str]:
        row = service.find_product(session, name)
        made = service.grant(session, row.id, email, source or f"manual:{email.strip().lower()}")
        keys = service.licenses_of(session, [each.id for each in made])
        return [
            f"Grant {each.id}: {each.email} ({each.status}, {each.source})"
            + (f" key {keys[each.id].license.key}" if each.id in keys else "")
            for each in made
        ]

    typer.echo("\n".join(in_session(work)))


@grant_app.command("list")
def grant_list(name: Annotated[str, typer.Argument(help="The product's name or id.")]) -> None:
    """A product's grants, newest first: buyer, source, status, downloads, license key."""

    def work(session: Session) -> list[str]:
        row = service.find_product(session, name)
        shown = service.with_licenses(session, service.grants_of_product(session, row.id))
        return [
            f"{each.id}  {each.email}  {each.source}  {each.status}  downloads {each.downloads}"
            + (f"/{each.download_limit}" if each.download_limit else "")
            + (f"  {key.license.key} {len(key.activations)}/{key.license.activation_limit}"
               if key else "")
            for each, key in shown
        ]  # fmt: skip

    lines = in_session(work, writer=False)
    typer.echo("\n".join(lines) if lines else "No grants yet.")


@grant_app.command("revoke")
def grant_revoke(
    source: Annotated[str, typer.Argument(help="The source whose grants end, like order:12.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (shown to the buyer).")] = "",
) -> None:
    """Revoke every grant of a source (its links stop, its license keys are disabled)."""
    rows = in_session(lambda s: [(r.id, r.email) for r in service.revoke(s, source, reason)])
    if not rows:
        typer.echo(f"No grant has the source {source!r}.")
    for grant_id, email in rows:
        typer.echo(f"Revoked grant {grant_id} ({email}).")
