"""Funnels: steps on public pages with an A/B split, their traffic, and the ad spend they repay."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evergreen.areas import Area, NavEntry

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = ["AREA"]


def _models() -> object:
    from evergreen.funnels import models

    return models


def _pages() -> Sequence[APIRouter]:
    from evergreen.funnels import views

    return views.routers()


def _api() -> Sequence[APIRouter]:
    from evergreen.funnels import api

    return [api.router]


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.funnels import cli

    return [("funnels", cli.app)]


AREA = Area(
    name="funnels",
    nav=NavEntry(
        "funnels",
        "Funnels",
        "Pages in steps with an A/B split, their visitors and conversions, and ad spend repaid.",
        order=55,
    ),
    models=_models,
    pages=_pages,
    api=_api,
    commands=_commands,
    command_names=("funnels",),
    templates=Path(__file__).parent / "templates",
)
