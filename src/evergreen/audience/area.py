"""Audience: lists, subscribers with consent, tags, segments, import and export."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evergreen.areas import Area, NavEntry

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = ["AREA"]


def _models() -> object:
    from evergreen.audience import models

    return models


def _pages() -> Sequence[APIRouter]:
    from evergreen.audience.views import (
        confirm,
        forms,
        imports,
        lists,
        preferences,
        segments,
        signup,
        subscriber,
        subscribers,
    )

    # /audience/subscribers/new before /audience/subscribers/{id}; the public pages last.
    return [
        lists.router,
        segments.router,
        forms.router,
        imports.router,
        subscribers.router,
        subscriber.router,
        confirm.router,
        signup.router,
        preferences.router,
    ]


def _api() -> Sequence[APIRouter]:
    from evergreen.audience import api

    return api.routers()


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.audience import cli

    return [("audience", cli.app)]


AREA = Area(
    name="audience",
    nav=NavEntry(
        "audience",
        "Audience",
        "Your lists: subscribers with their consent, tags, segments, import and export.",
        order=30,
    ),
    models=_models,
    pages=_pages,
    api=_api,
    commands=_commands,
    command_names=("audience",),
    templates=Path(__file__).parent / "templates",
)
