"""Sequences: autoresponders; stored sequences, enrolments and the due-step scheduler (pages,
API, CLI, and a periodic task every minute in the server)."""

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
    from evergreen.sequences import models

    return models


def _pages() -> Sequence[APIRouter]:
    from evergreen.sequences import views

    return views.routers()


def _api() -> Sequence[APIRouter]:
    from evergreen.sequences import api, api_events

    return [*api.routers(), *api_events.routers()]


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.sequences import cli

    return [("sequences", cli.app)]


def _tasks(queue: Huey, settings: Settings) -> None:
    from evergreen.sequences import tasks

    tasks.register(queue, settings)


AREA = Area(
    name="sequences",
    nav=NavEntry(
        "sequences",
        "Sequences",
        "Autoresponders timed to each subscriber: steps, previews, numbers per step.",
        order=40,
    ),
    models=_models,
    pages=_pages,
    api=_api,
    commands=_commands,
    command_names=("sequences",),
    tasks=_tasks,
    templates=Path(__file__).parent / "templates",
)
