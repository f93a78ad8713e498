"""Commerce: the catalog, checkout, orders and coupons, and the owner's tax rates."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evergreen.areas import AppParts, Area, FrontDoor, NavEntry, Runtime

if TYPE_CHECKING:
    from fastapi import APIRouter
    from huey import Huey

    from evergreen.config import Settings

__all__ = ["AREA"]


def _models() -> object:
    from evergreen.commerce import models

    return models


def _pages() -> Sequence[APIRouter]:
    from evergreen.commerce import views

    return views.routers()


def _api() -> Sequence[APIRouter]:
    from evergreen.commerce import api

    return api.routers()


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.commerce import cli

    return [("commerce", cli.app)]


def _tasks(queue: Huey, settings: Settings) -> None:
    from evergreen.commerce import tasks

    tasks.register(queue, settings)


def _runtime(parts: AppParts) -> tuple[Runtime | None, FrontDoor | None]:
    """No process state, only the webhook front door (replays answered before routing)."""
    from evergreen.commerce.views.webhook_door import StripeWebhookDoor

    return None, StripeWebhookDoor(parts.settings, parts.db)


AREA = Area(
    name="commerce",
    nav=NavEntry(
        "commerce",
        "Commerce",
        "Products, checkout pages, orders, refunds, coupons and taxes.",
        order=50,
    ),
    models=_models,
    pages=_pages,
    api=_api,
    commands=_commands,
    command_names=("commerce",),
    tasks=_tasks,
    runtime=_runtime,
    templates=Path(__file__).parent / "templates",
)
