"""Mail: compliant delivery (rendering, headers, DKIM, SMTP, bounces), broadcasts and the send
log, one-click unsubscribe and the open pixel."""

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
    from evergreen.mail import models

    return models


def _pages() -> Sequence[APIRouter]:
    from evergreen.mail import views

    return views.routers()


def _api() -> Sequence[APIRouter]:
    from evergreen.mail import api

    return api.routers()


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.mail import cli

    return [("mail", cli.app)]


def _tasks(queue: Huey, settings: Settings) -> None:
    from evergreen.mail import tasks

    tasks.register(queue, settings)


AREA = Area(
    name="mail",
    nav=NavEntry(
        "mail",
        "Mail",
        "Broadcasts, compliant delivery, unsubscribes, bounces and quotas.",
        order=35,
    ),
    models=_models,
    pages=_pages,
    api=_api,
    commands=_commands,
    command_names=("mail",),
    tasks=_tasks,
    templates=Path(__file__).parent / "templates",
)
