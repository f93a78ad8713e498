"""Ledger: streams, the journal, hours and capital, and residual income per stream."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evergreen.areas import Area, HomeSection, NavEntry

if TYPE_CHECKING:
    from fastapi import APIRouter, Request
    from sqlalchemy.orm import Session

__all__ = ["AREA"]


def _models() -> object:
    from evergreen.ledger import models

    return models


def _api() -> Sequence[APIRouter]:
    from evergreen.ledger import api

    return api.routers


def _pages() -> Sequence[APIRouter]:
    from evergreen.ledger.views import (
        entries,
        exports,
        hours,
        import_rules,
        imports,
        listing,
        preferences,
        stream,
        timer,
    )

    return [
        listing.router,
        preferences.router,
        timer.router,
        stream.router,
        entries.router,
        hours.router,
        exports.router,
        imports.router,
        import_rules.router,
    ]


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.ledger import cli

    import_module("evergreen.ledger.interchange")  # adds `ledger export|import`, `hours import`
    return [
        ("streams", cli.streams_app),
        ("ledger", cli.ledger_app),
        ("hours", cli.hours_app),
        ("capital", cli.capital_app),
    ]


def _home(request: Request, session: Session) -> HomeSection:
    from evergreen.ledger.views import home

    return home.section(request, session)


AREA = Area(
    name="ledger",
    nav=NavEntry(
        "ledger",
        "Ledger",
        "Income streams: residual income after your time and capital, and what each is worth.",
        order=15,
    ),
    models=_models,
    api=_api,
    pages=_pages,
    commands=_commands,
    command_names=("streams", "ledger", "hours", "capital"),
    templates=Path(__file__).parent / "templates",
    home=_home,
)
