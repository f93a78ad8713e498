"""Household: the owner's own money, personal residual income, the VA test and independence."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evergreen.areas import Area, HomeSection, NavEntry

if TYPE_CHECKING:
    from fastapi import APIRouter, Request
    from sqlalchemy.orm import Session

__all__ = ["AREA"]


def _models() -> object:
    from evergreen.household import models

    return models


def _pages() -> Sequence[APIRouter]:
    from evergreen.household.views import items, page

    return [page.router, items.router]


def _home(request: Request, session: Session) -> HomeSection:
    from evergreen.household.views import home

    return home.section(request, session)


def _api() -> Sequence[APIRouter]:
    from evergreen.household import api

    return [api.router]


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.household import cli

    return [("household", cli.app)]


AREA = Area(
    name="household",
    nav=NavEntry(
        "household",
        "Household",
        "Personal residual income, the VA test and your progress to financial independence.",
        order=90,
    ),
    models=_models,
    pages=_pages,
    api=_api,
    commands=_commands,
    command_names=("household",),
    templates=Path(__file__).parent / "templates",
    home=_home,
)
