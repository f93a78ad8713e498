"""Demo: a year of a small passive-income business, loaded through the real services."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from evergreen.areas import Area

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = ["AREA"]


def _pages() -> Sequence[APIRouter]:
    from evergreen.demo import views

    return [views.router]


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.demo import cli

    return [("demo", cli.demo)]


AREA = Area(name="demo", pages=_pages, commands=_commands, command_names=("demo",))
