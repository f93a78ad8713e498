"""`evergreen partners …`: payouts, statements, approvals, invitations."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from evergreen.config import get_settings, resolve_secret_key
from evergreen.console import check_output_file, err, migrated_database, row_id_argument
from evergreen.db import utcnow
from evergreen.links import queries as link_queries
from evergreen.partners import queries, service
from evergreen.siteurl import cli_site_url

__all__ = ["app"]

app = typer.Typer(
    help="Your affiliate program: partners, approvals, payouts, statements.", no_args_is_help=True
)
payout_app = typer.Typer(help="Payout batches.", no_args_is_help=True)
app.add_typer(payout_app, name="payout")
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write to this file (default: stdout).")]


def _write(text: str, out: Path | None) -> None:
    if out is not None:
        check_output_file(out, "--out")
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        err.print(f"Wrote {out}", highlight=False)


@app.command("list")
def list_partners(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every partner of the program."""
    db = migrated_database()
    try:
        with db.session() as session:
            program = service.default_program(session)
            rows = [
                {"id": p.id, "name": p.name, "email": p.email, "group": p.group, "status": p.status}
                for p in service.list_partners(session, program)
            ]
    finally:
        db.dispose()
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table("id", "name", "email", "group", "status")
    for row in rows:
        table.add_row(*(str(row[k]) for k in ("id", "name", "email", "group", "status")))
    Console().print(table)


@app.command("add")
def add_partner(
    name: Annotated[str, typer.Option(help="The partner's name.")],
    email: Annotated[str, typer.Option(help="Their email (also their portal sign-in).")],
    group: Annotated[str, typer.Option(help="Their terms group (blank: the default).")] = "",
    status: Annotated[str, typer.Option(help="pending, active or suspended.")] = "pending",
) -> None:
    """Add a partner, with a referral link to the program's landing page when one is set."""
    db = migrated_database()
    try:
        with db.session() as session:
            program = service.default_program(session)
            partner = service.create_partner(
                session, program, name=name, email=email, group=group, status=status
            )
            number, slugs = (
                partner.id,
                [link.slug for link in queries.links_of(session, partner.id)],
            )
            landing = bool(program.landing_url)
    finally:
        db.dispose()
    typer.echo(f"Partner {number} added ({status}).")
    settings = get_settings()
    site = cli_site_url(settings)
    for slug in slugs:
        typer.echo(f"Referral link: {link_queries.short_url(settings, site.url, slug)}")
    if not landing:
        typer.echo("No referral link: set the program's landing page at /partners/settings first.")


@app.command("approve-due")
def approve() -> None:
    """Approve every commission whose holding period has passed (the hourly job does this too)."""
    db = migrated_database()
    try:
        with db.session() as session:
            count = service.approve_due(
                session, service.default_program(session), utcnow(), actor="cli"
            )
    finally:
        db.dispose()
    typer.echo(f"Approved {count} commission{'s' if count != 1 else ''}.")


@app.command("statement")
def statement(
    partner_id: Annotated[int, row_id_argument("The partner's id (see `partners list`).")],
    out: OutOpt = None,
) -> None:
    """A partner's statement as CSV."""
    db = migrated_database()
    buffer = io.StringIO()
    try:
        with db.session() as session:
            program = service.default_program(session)
            partner = service.get_partner(session, program, partner_id)
            service.statement(session, program, partner.id, buffer)
    finally:
        db.dispose()
    _write(buffer.getvalue(), out)


@payout_app.command("create")
def payout_create() -> None:
    """Batch every approved commission of partners above the threshold."""
    db = migrated_database()
    try:
        with db.session() as session:
            program = service.default_program(session)
            payout = service.create_payout(session, program, actor="cli", now=utcnow())
            number = payout.id if payout is not None else None
    finally:
        db.dispose()
    if number is None:
        typer.echo("Nothing is due: no partner is above the payout threshold.")
        return
    typer.echo(
        f"Payout {number} created. Export it with: evergreen partners payout export {number}"
    )


@payout_app.command("export")
def payout_export(
    payout_id: Annotated[int, row_id_argument()],
    format: Annotated[str, typer.Option(help="paypal or wise.")] = "paypal",
    out: OutOpt = None,
) -> None:
    """A payout as a PayPal Payouts or Wise batch CSV."""
    db = migrated_database()
    buffer = io.StringIO()
    try:
        with db.session() as session:
            program = service.default_program(session)
            service.export_payout(session, program, payout_id, format, buffer)
    finally:
        db.dispose()
    _write(buffer.getvalue(), out)


@payout_app.command("paid")
def payout_paid(payout_id: Annotated[int, row_id_argument()]) -> None:
    """Record that a payout was sent: its commissions become paid."""
    db = migrated_database()
    try:
        with db.session() as session:
            program = service.default_program(session)
            service.mark_paid(session, program, payout_id, actor="cli", now=utcnow())
        sent, missed = service.send_due_notices(db, get_settings(), payout_id=payout_id)
    finally:
        db.dispose()
    typer.echo(f"Payout {payout_id} marked paid.")
    if sent or missed:
        typer.echo(f"Payout notices: {sent} mailed, {missed} not sent yet (retried every minute).")


@app.command("invite")
def invite(
    partner_id: Annotated[int, row_id_argument("The partner's ID (partners list).")],
) -> None:
    """Print a link (usable once, for 7 days) where the partner sets their portal password."""
    settings = get_settings()
    site = cli_site_url(settings)
    db = migrated_database()
    try:
        with db.session() as session:
            partner = service.get_partner(session, service.default_program(session), partner_id)
            link = service.issue_invite(session, resolve_secret_key(settings), site.url, partner)
    finally:
        db.dispose()
    url, expires_at = link.url, link.expires_at
    typer.echo(url)
    hint = "" if settings.base_url else "; set EVERGREEN_BASE_URL to use your public address"
    err.print(
        f"Works once, until {expires_at:%Y-%m-%d %H:%M} UTC. "
        f"Links use {site.url} ({site.source}{hint}).",
        highlight=False,
        soft_wrap=True,
    )
