"""Partners: the owner's affiliate program (partners, terms, conversions, commissions, payouts)."""

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
    from evergreen.partners import models

    return models


def _pages() -> Sequence[APIRouter]:
    from evergreen.partners.views import invite, partners, portal, signup, webhooks

    return [
        portal.router,
        signup.router,
        invite.router,
        webhooks.router,
        partners.router,
    ]


def _api() -> Sequence[APIRouter]:
    from evergreen.partners.api import partner_edits, payouts, program, settings, webhooks

    # Fixed paths (/settings, /payouts/{id}) before /{partner_id}, which would shadow them.
    return [webhooks.router, settings.router, payouts.router, program.router, partner_edits.router]


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.partners import cli

    return [("partners", cli.app)]


def _tasks(queue: Huey, settings: Settings) -> None:
    from evergreen.partners import tasks

    tasks.register(queue, settings)


AREA = Area(
    name="partners",
    nav=NavEntry(
        "partners", "Partners", "Your affiliate program: partners, commissions, payouts.", order=20
    ),
    models=_models,
    pages=_pages,
    api=_api,
    commands=_commands,
    command_names=("partners",),
    tasks=_tasks,
    templates=Path(__file__).parent / "templates",
)
