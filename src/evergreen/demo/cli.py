"""`evergreen demo`: a year of a small passive-income business, in one command."""

from __future__ import annotations

import typer

from evergreen.config import get_settings
from evergreen.console import migrated_database
from evergreen.db import utcnow
from evergreen.demo import service

__all__ = ["demo"]


def demo() -> None:
    """Load a year of a demo business (blog, network, partner program, royalties, a loan)."""
    db = migrated_database()
    try:
        loaded = service.load_demo(db, get_settings(), utcnow().date())
    finally:
        db.dispose()
    typer.echo(
        f"Loaded a demo year: {loaded.clicks:,} clicks, {loaded.earnings} network commissions, "
        f"{loaded.sales} partner sales and {loaded.entries} ledger entries of your own. "
        "Open the dashboard to see each stream's residual income and value."
    )
