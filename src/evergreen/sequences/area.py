"""Sequences: autoresponders; stored sequences, enrolments and the due-step scheduler (CLI,
and a periodic task every minute in the server)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from evergreen.areas import Area

if TYPE_CHECKING:
    from fastapi import APIRouter
    from huey import Huey

    from evergreen.config import Settings

__all__ = ["AREA"]


def _models() -> object:
    from evergreen.sequences import models

    return models


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.sequences import cli

    return [("sequences", cli.app)]


def _api_events() -> Sequence[APIRouter]:
    # The engine's API events endpoint (helper "engine"); the rest of the API is api.py's.
    from evergreen.sequences import api_events

    return api_events.routers()


def _tasks(queue: Huey, settings: Settings) -> None:
    from evergreen.sequences import tasks

    tasks.register(queue, settings)


# No nav entry yet: the area has no pages (the map shows it once it has).
AREA = Area(name="sequences", models=_models, api=_api_events, commands=_commands, tasks=_tasks)
