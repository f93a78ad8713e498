"""`evergreen commerce supplier …`: drop-ship suppliers (add prints the secret once, list,
link a product), the supplier orders queue, the CSV export (marked sent after confirming) and
tracking (the buyer's shipped mail once)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from evergreen.commerce.rules.fulfilment import unused_address
from evergreen.commerce.service import cancellations, forwarding, suppliers, tracking
from evergreen.config import get_settings, resolve_secret_key
from evergreen.console import (
    check_output_file,
    confirmed,
    failure,
    in_session,
    option_name,
    row_id_argument,
    row_id_option,
)
from evergreen.db import utcnow
from evergreen.errors import NotFound
from evergreen.mail.transactional import Transactional, deliver
from evergreen.siteurl import cli_site_url

__all__ = ["supplier_app"]

supplier_app = typer.Typer(
    help="Drop-ship suppliers: add, list, link, orders, export, tracking, resend.",
    no_args_is_help=True,
)


@supplier_app.command("add")
def supplier_add(
    name: Annotated[str, typer.Argument(help="The supplier's name.")],
    method: Annotated[str, typer.Option("--method", help="email, webhook or csv.")],
    currency: Annotated[str, typer.Option("--currency", help="Like EUR.")],
    email: Annotated[str, typer.Option("--email", help="Where orders go by email.")] = "",
    url: Annotated[str, typer.Option("--webhook-url", help="Where orders are posted.")] = "",
) -> None:
    """Add a supplier; prints its id and its secret (shown this once)."""
    unused = _unused_address(method, email, url)
    if unused:
        raise failure(unused)
    row_id, secret = in_session(
        lambda s: (lambda r: (r[0].id, r[1]))(
            suppliers.add_supplier(s, name, email, method, url, currency)
        )
    )
    typer.echo(f"Supplier {row_id} added. Its secret (shown once): {secret}")


def _unused_address(method: str, email: str, url: str) -> str | None:
    """An address the chosen method never uses, said by its option (the rule refuses it)."""
    unused = unused_address(method, email, url)
    if unused is None:
        return None
    field, needs = unused
    return f"{option_name(field)} is only for --method {needs}; drop it, or choose --method {needs}"


@supplier_app.command("list")
def supplier_list() -> None:
    """Every supplier: id, name, method, currency."""

    def work(session: Session) -> list[str]:
        return [
            f"{s.id}\t{s.name}\t{s.method}\t{s.currency}\t{s.email or s.webhook_url}"
            for s in suppliers.list_suppliers(session)
        ]

    for line in in_session(work, writer=False):
        typer.echo(line)


@supplier_app.command("link")
def supplier_link(
    product_id: Annotated[int, row_id_argument("A physical product's id.")],
    supplier_id: Annotated[int, row_id_argument("The supplier's id.")],
) -> None:
    """Name the supplier a physical product ships from."""
    in_session(lambda s: suppliers.set_product_supplier(s, product_id, supplier_id))
    typer.echo("Linked.")


@supplier_app.command("orders")
def supplier_orders(
    status: Annotated[str, typer.Option("--status", help="new, sent, failed, shipped.")] = "",
    supplier: Annotated[int | None, row_id_option("A supplier's id.")] = None,
) -> None:
    """The latest 50 supplier orders: id, order, supplier, status, tracking."""

    def work(session: Session) -> list[str]:
        if supplier is not None:
            try:
                suppliers.get_supplier(session, supplier)
            except NotFound:
                # An empty list would read as "no orders from it", not as a wrong id.
                raise failure(
                    f"no supplier {supplier}: see `evergreen commerce supplier list`"
                ) from None
        rows, _total = suppliers.list_supplier_orders(
            session, status=status or None, supplier_id=supplier
        )
        return [
            f"{row.id}\t{order.number}\t{s.name}\t{row.status}\t"
            f"{row.carrier} {row.tracking_number}".rstrip()
            for row, s, order in rows
        ]

    for line in in_session(work, writer=False):
        typer.echo(line)


@supplier_app.command("export")
def supplier_export(
    out: Annotated[Path, typer.Option("--out", help="The CSV file to write.")],
    yes: Annotated[bool, typer.Option("--yes", help="Mark them sent without asking.")] = False,
) -> None:
    """Write the unsent orders of CSV suppliers to a file, then mark them sent once confirmed."""
    check_output_file(out, "--out")
    text, ids = in_session(forwarding.export_csv, writer=False)
    out.write_text(text, encoding="utf-8")
    typer.echo(f"{len(ids)} supplier orders written to {out}.")
    if not ids:
        return
    confirmed(
        "", "Did the supplier get this file? Mark these orders sent?",
        f"{len(ids)} supplier orders not marked sent", yes=yes,
        declined="Not marked sent: export again with --yes once the supplier has the file.",
    )  # fmt: skip
    marked = in_session(lambda s: forwarding.mark_exported(s, ids, utcnow()))
    typer.echo(f"{marked} marked sent.")


@supplier_app.command("tracking")
def supplier_tracking(
    supplier_order_id: Annotated[int, row_id_argument("The supplier order's id.")],
    number: Annotated[str, typer.Argument(help="The tracking number.")],
    carrier: Annotated[str, typer.Option("--carrier", help="Like DHL or UPS.")],
    url: Annotated[str, typer.Option("--url", help="The tracking page, if any.")] = "",
) -> None:
    """Record tracking; the buyer gets the shipped mail the first time."""
    settings = get_settings()
    secret = resolve_secret_key(settings)

    def work(session: Session) -> Transactional | None:
        done = tracking.record_tracking(session, supplier_order_id, number, carrier, url, utcnow())
        if not done.newly_shipped:
            return None
        return forwarding.shipped_mail(session, done.row.id, secret, cli_site_url(settings).url)

    message = in_session(work)
    if message is None:
        typer.echo("Tracking recorded (the buyer was told before).")
        return
    problem = deliver(settings, message, "shipped")
    typer.echo("Shipped; the buyer was mailed." if problem is None else f"Shipped; {problem}")


@supplier_app.command("resend")
def supplier_resend(
    supplier_order_id: Annotated[int, row_id_argument("The supplier order's id.")],
) -> None:
    """Send a supplier order again, or its cancel request (the next CSV for a CSV supplier)."""
    status = in_session(lambda s: cancellations.resend(s, supplier_order_id, utcnow()).status)
    typer.echo(f"Supplier order {supplier_order_id} will be sent again ({status}).")
