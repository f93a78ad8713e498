"""`evergreen commerce rate …`: the owner's exchange rates from a supplier's currency to a
checkout's (set, list, remove), as on the suppliers page."""

from __future__ import annotations

from typing import Annotated

import typer

from evergreen.commerce.models import ExchangeRate
from evergreen.commerce.service import rates
from evergreen.console import in_session, row_id_argument

__all__ = ["rate_app"]

rate_app = typer.Typer(help="Exchange rates for suppliers' currencies: set, list, remove.",
                       no_args_is_help=True)  # fmt: skip


@rate_app.command("set")
def rate_set(
    base: Annotated[str, typer.Argument(help="The supplier's currency, like USD.")],
    quote: Annotated[str, typer.Argument(help="The checkout's currency, like EUR.")],
    rate: Annotated[str, typer.Argument(help="What 1 BASE costs in QUOTE, like 0.9213.")],
) -> None:
    """Set what 1 BASE costs in QUOTE."""
    shown = in_session(lambda s: (lambda r: f"1 {r.base} = {r.rate.normalize():f} {r.quote}")(
        rates.set_rate(s, base, quote, rate)))  # fmt: skip
    typer.echo(f"Rate set: {shown}")


@rate_app.command("list")
def rate_list() -> None:
    """Every rate: id, pair and rate, one per line."""
    rows = in_session(lambda s: [_line(r) for r in rates.list_rates(s)], writer=False)
    typer.echo("\n".join(rows) if rows else "No exchange rates yet.")


def _line(row: ExchangeRate) -> str:
    return f"{row.id}\t{row.base}\t{row.quote}\t{row.rate.normalize():f}"


@rate_app.command("remove")
def rate_remove(rate_id: Annotated[int, row_id_argument("The rate's id (see list).")]) -> None:
    """Remove a rate (products needing it stop shipping in that currency until it is set)."""
    in_session(lambda s: rates.remove_rate(s, rate_id))
    typer.echo(f"Rate {rate_id} removed.")
