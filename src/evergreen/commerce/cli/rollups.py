"""`evergreen commerce rollups rebuild [--funnel ID]`: the funnel report's daily sales rollup
recomputed from the orders (after the migration that adds it, or to set it straight)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session

from evergreen.commerce.service import rollups
from evergreen.console import in_session, row_id_option
from evergreen.funnels import service as funnels

__all__ = ["rollups_app"]

rollups_app = typer.Typer(help="The funnel report's daily sales rollup.", no_args_is_help=True)


@rollups_app.command("rebuild")
def rebuild(
    funnel: Annotated[int | None, row_id_option("Only this funnel's rows (default: all).")] = None,
) -> None:
    """Recompute the daily sales rollup from the paid funnel orders, in one transaction."""

    def work(session: Session) -> int:
        rows = rollups.rebuild(session, funnel)
        if funnel is not None and not rows:
            funnels.get_funnel(session, funnel)  # a mistyped id: named, not "0 rows"
        return rows

    rows = in_session(work)
    typer.echo(f"rebuilt the funnel sales rollup: {rows} rows")
