"""Finance: pure valuation and loan models, with their pages, API and command line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evergreen.areas import Area, NavEntry

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = ["AREA"]


def _pages() -> Sequence[APIRouter]:
    from evergreen.finance.interfaces import views

    return [views.router]


def _api() -> Sequence[APIRouter]:
    from evergreen.finance.interfaces import api

    return [api.router]


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.finance.interfaces.cli import app

    return [("finance", app)]


AREA = Area(
    name="finance",
    nav=NavEntry(
        "finance",
        "Finance",
        "Calculators: residual income valuation, loan schedules and payoff, household "
        "residual income, passive vs active income.",
        order=110,
    ),
    pages=_pages,
    api=_api,
    commands=_commands,
    command_names=("finance",),
    templates=Path(__file__).parent / "templates",
)
