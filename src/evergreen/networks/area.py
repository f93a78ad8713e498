"""Networks: the owner's own income as an affiliate of networks and merchants."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evergreen.areas import Area, NavEntry

if TYPE_CHECKING:
    from fastapi import APIRouter
    from huey import Huey

    from evergreen.config import Settings

__all__ = ["AREA"]


def _models() -> object:
    from evergreen.networks import models

    return models


def _pages() -> Sequence[APIRouter]:
    from evergreen.networks.views import earnings, network

    return [earnings.router, network.router]


def _api() -> Sequence[APIRouter]:
    from evergreen.networks import api

    return [api.router]


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.networks import cli

    return [("networks", cli.app)]


def _tasks(queue: Huey, settings: Settings) -> None:
    from evergreen.networks import tasks

    tasks.register(queue, settings)


AREA = Area(
    name="networks",
    nav=NavEntry(
        "networks", "Networks", "Your commissions from affiliate networks and merchants.", order=25
    ),
    models=_models,
    pages=_pages,
    api=_api,
    commands=_commands,
    command_names=("networks",),
    tasks=_tasks,
    templates=Path(__file__).parent / "templates",
)
