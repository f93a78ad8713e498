"""Webinars: evergreen webinars, their schedules and the sessions each registrant is offered."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evergreen.areas import AppParts, Area, FrontDoor, NavEntry, Runtime

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = ["AREA"]


def _models() -> object:
    from evergreen.webinars import models

    return models


def _pages() -> Sequence[APIRouter]:
    from evergreen.webinars import views

    return views.routers()


def _api() -> Sequence[APIRouter]:
    from evergreen.webinars import api

    return api.routers()


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.webinars import cli

    return [("webinars", cli.app)]


def _runtime(parts: AppParts) -> tuple[Runtime, FrontDoor | None]:
    from evergreen.webinars.beats.runtime import BeatRuntime

    return BeatRuntime(parts.settings, parts.db, parts.secret), None


AREA = Area(
    name="webinars",
    nav=NavEntry(
        "webinars",
        "Webinars",
        "Evergreen webinars: schedules in each viewer's time zone, blackout dates, sessions.",
        order=45,
    ),
    models=_models,
    pages=_pages,
    api=_api,
    commands=_commands,
    command_names=("webinars",),
    runtime=_runtime,
    templates=Path(__file__).parent / "templates",
)
