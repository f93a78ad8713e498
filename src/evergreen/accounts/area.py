"""Accounts: who may sign in (owner, staff, partners), sessions, API tokens, first-run setup."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evergreen.areas import Area

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = ["AREA"]


def _models() -> object:
    from evergreen.accounts import models

    return models


def _pages() -> Sequence[APIRouter]:
    from evergreen.accounts import views

    return [views.router]


def _api() -> Sequence[APIRouter]:
    from evergreen.accounts import api

    return [api.router]


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.accounts import cli

    return [("user", cli.user_app), ("token", cli.token_app), ("init", cli.init)]


AREA = Area(
    name="accounts",
    models=_models,
    pages=_pages,
    api=_api,
    commands=_commands,
    command_names=("user", "token", "init"),
    templates=Path(__file__).parent / "templates",
)
