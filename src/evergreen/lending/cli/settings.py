"""`evergreen lending settings`: the owner's lending settings, shown or changed."""

from __future__ import annotations

from typing import Annotated

import typer

from evergreen.console import in_session
from evergreen.lending import service
from evergreen.lending.cli.common import JsonOpt, echo_fields, money_number

__all__ = ["show_or_set"]


def show_or_set(
    capital: Annotated[
        str | None,
        typer.Option(help="Capital set aside for lending, e.g. 250000; '' forgets it."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the lending settings, or set the capital for lending (idle is it less deployed)."""
    if capital is None:
        value = in_session(service.capital_available, writer=False)
    else:
        value = in_session(lambda s: service.set_capital_available(s, capital))
    shown = money_number(value) if as_json else "not set" if value is None else f"{value:.2f}"
    echo_fields({"capital_available": shown}, as_json)
