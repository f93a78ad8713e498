"""Links: tracking links, the redirect that never loses a click, and click analytics."""

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
    from evergreen.links import models

    return models


def _pages() -> Sequence[APIRouter]:
    from evergreen.links import views

    return [views.router]


def _api() -> Sequence[APIRouter]:
    from evergreen.links import api

    return [api.router]


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.links import cli

    return [("links", cli.app)]


def _tasks(queue: Huey, settings: Settings) -> None:
    from evergreen.links import tasks

    tasks.register(queue, settings)


def _runtime(parts: AppParts) -> tuple[Runtime, FrontDoor | None]:
    from evergreen.links.clicks.redirect import LinkRedirects
    from evergreen.links.clicks.runtime import LinkRuntime

    runtime = LinkRuntime(parts.settings, parts.db, parts.secret, ingest=parts.background)
    return runtime, LinkRedirects(runtime)


AREA = Area(
    name="links",
    nav=NavEntry("links", "Links", "Tracking links, redirects, clicks and QR codes.", order=10),
    models=_models,
    pages=_pages,
    api=_api,
    commands=_commands,
    command_names=("links",),
    tasks=_tasks,
    runtime=_runtime,
    templates=Path(__file__).parent / "templates",
)
