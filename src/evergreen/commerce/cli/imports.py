"""`evergreen commerce import|floor|apply-rule`: catalog imports with their preview, the margin
floor, and a stored price rule applied to every physical product."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.service.imports import discard_import
from evergreen.config import get_settings
from evergreen.console import confirmed, failure, in_session, migrated_database
from evergreen.db import Database

__all__ = ["apply_rule", "floor", "import_catalog"]


def _preview_lines(status: dict[str, Any], shown: dict[str, Any]) -> list[str]:
    """What an import would do, as the command prints it before asking."""
    lines = [
        f"Import {status['id']} ({status['kind']}, {status['file_name']}): "
        f"{shown['new']} new, {shown['updated']} updated, {shown['withheld']} withheld "
        f"of {shown['total']} entries."
    ]
    lines += [f"  line {e['line']}: {e['field']}: {e['message']}" for e in shown["errors"][:20]]
    if shown["withheld"] > 20:
        lines.append(f"  and {shown['withheld'] - 20} more.")
    for plan in shown["sample"][:5]:
        lines.append(
            f"  {plan['action']:6} {plan['sku'] or '-'}  {plan['name']}  landed {plan['landed']}"
            f"  price {plan['price']}  margin {plan['margin']} ({plan['margin_percent']} %)"
        )
    return lines


def _ask(db: Database, data_dir: Path, import_id: int, *, yes: bool) -> None:
    """Go on with --yes or a yes. A no keeps the previewed import for its page (exit 1); no
    answer at all forgets it with its upload and names --yes (exit 2): nothing is left."""
    try:
        confirmed(
            "", "Run this import?", f"import {import_id} was not run and is discarded",
            yes=yes, declined=f"Not run; run it later from the page of import {import_id}.",
        )  # fmt: skip
    except typer.Exit as stop:
        if stop.exit_code == 2:  # nobody answered: nobody agreed even to keep it
            with db.session() as session:
                discard_import(session, data_dir, import_id)
        raise


def import_catalog(
    kind: Annotated[str, typer.Argument(help="shopify (a product export) or supplier (costs).")],
    file: Annotated[Path, typer.Argument(help="The CSV file.", exists=True, dir_okay=False)],
    rule: Annotated[str, typer.Option("--rule", help="A price rule's name (else none).")] = "",
    currency: Annotated[str, typer.Option("--currency", help="Costs' and prices' currency.")] = (
        "USD"
    ),
    status: Annotated[
        str | None,
        typer.Option("--status", help="Shopify: new products draft (default) or active."),
    ] = None,
    reprice: Annotated[
        bool | None,
        typer.Option(
            "--reprice/--no-reprice", help="Supplier list: re-price by the rule (default)."
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Run without asking after the preview.")] = (
        False
    ),
) -> None:
    """Preview a Shopify export or a supplier list, then (asked, or --yes) run it in batches."""
    if kind == "supplier" and status is not None:
        raise failure("--status is only for shopify imports: a supplier list adds no products")
    if kind == "shopify" and reprice is not None:
        raise failure("--reprice/--no-reprice is only for supplier imports")
    data_dir = get_settings().data_dir
    db = migrated_database()
    try:
        with db.session() as session, file.open("rb") as source:
            rule_id = service.find_rule(session, rule).id if rule else None
            options = service.ImportOptions(
                currency, rule_id, status or "draft", reprice is not False
            )
            row, shown = service.start_import(session, data_dir, kind, source, file.name, options)
            started, preview = service.import_status(row), shown.to_dict()
        typer.echo("\n".join(_preview_lines(started, preview)))
        _ask(db, data_dir, started["id"], yes=yes)

        def step(work: Callable[[Session], Any]) -> dict[str, Any]:
            with db.session() as session:
                return service.import_status(work(session))

        while True:
            done = step(lambda s: service.run_batch(s, data_dir, started["id"], 1000))
            typer.echo(f"  {done['done']}/{done['total']} ({done['percent']} %)", err=True)
            if done["status"] in ("done", "failed"):
                break
    finally:
        db.dispose()
    typer.echo(
        f"Import {done['id']} {done['status']}: {done['created']} created, {done['updated']} "
        f"updated, {done['withheld']} withheld, {done['paused']} paused by the margin guard."
    )
    for item in done["paused_products"][:20]:
        typer.echo(f"  paused {item['id']} {item['name']}: {item['reason']}")


def floor(
    currency: Annotated[str, typer.Argument(help="The currency, like USD.")],
    percent: Annotated[str, typer.Option("--percent", help="Least margin, % of price.")] = "",
    amount: Annotated[str, typer.Option("--amount", help="Least margin, an amount.")] = "",
    zone: Annotated[str, typer.Option("--zone", help="Whose landed cost is judged.")] = "*",
) -> None:
    """Set the margin guard's floor in a currency."""
    row = in_session(lambda s: service.set_floor(s, currency, percent, amount, zone).currency)
    typer.echo(f"Margin floor for {row} saved.")


def apply_rule(
    name: Annotated[str, typer.Argument(help="The price rule's name.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False,
) -> None:
    """Price every physical product by a named rule; the margin guard then runs."""
    found = in_session(lambda s: service.find_rule(s, name).name, writer=False)  # named first
    confirmed(
        "", f"Re-price every physical product by {found!r}?",
        f"re-pricing every physical product by {found!r}", yes=yes,
    )  # fmt: skip

    def work(session: Session) -> str:
        result = service.apply_rule(session, service.find_rule(session, name).id)
        return f"{result.priced} priced, {result.skipped} skipped, {len(result.paused)} paused."

    typer.echo(in_session(work))
