"""Lending: borrowers, loans, draws, payments, payoffs and the book's yield, posted to the ledger.

Its pages and the borrower portal come later; the CLI, the API and the daily late-fee task are
here, all through the one service.
"""

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
    from evergreen.lending import models

    return models


def _api() -> Sequence[APIRouter]:
    from evergreen.lending import api

    return [api.router]


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.lending import cli

    return [("lending", cli.app)]


def _tasks(queue: Huey, settings: Settings) -> None:
    from evergreen.lending import tasks

    tasks.register(queue, settings)


AREA = Area(name="lending", models=_models, api=_api, commands=_commands, tasks=_tasks)
