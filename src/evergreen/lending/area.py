"""Lending: borrowers, loans, draws, payments, payoffs and the book's yield, posted to the ledger.

The owner's pages (the book, loans, borrowers, properties), the CLI, the API, the daily late-fee
task, payoff letters as PDF and the borrower portal (/borrower: own loans, statements, letters,
draw requests with photos, their documents), borrowers' documents, all through the one service.
"""

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
    from evergreen.lending import models

    return models


def _pages() -> Sequence[APIRouter]:
    from evergreen.lending.portal import documents as portal_documents
    from evergreen.lending.portal import invite as portal_invite
    from evergreen.lending.portal import views as portal
    from evergreen.lending.views import book, documents, invite, letters, loans, parties, photos

    return [
        book.router, loans.router, parties.router, portal_invite.router, portal.router,
        letters.router, photos.router, invite.router, documents.router, portal_documents.router,
    ]  # fmt: skip


def _api() -> Sequence[APIRouter]:
    from evergreen.lending import api

    return [api.router]


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.lending import cli

    return [("lending", cli.app)]


def _tasks(queue: Huey, settings: Settings) -> None:
    from evergreen.lending import tasks

    tasks.register(queue, settings)


AREA = Area(
    name="lending",
    nav=NavEntry(
        "lending",
        "Lending",
        "Your loan book: loans, draws, payments, payoffs, delinquency and the book's yield.",
        order=95,
    ),
    models=_models,
    pages=_pages,
    api=_api,
    commands=_commands,
    command_names=("lending",),
    tasks=_tasks,
    templates=Path(__file__).parent / "templates",
)
