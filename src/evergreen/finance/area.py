"""Finance: pure valuation and loan models, with their API and command line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from evergreen.areas import Area, NavEntry

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = ["AREA"]


def _api() -> Sequence[APIRouter]:
    from evergreen.finance.interfaces import api

    return [api.router]


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.finance.interfaces.cli import app

    return [("finance", app)]


AREA = Area(
    name="finance",
    nav=NavEntry(
        "finance",
        "Finance",
        "Valuation models: residual income, EVA, loans, simulations.",
        ready=False,
        order=110,
    ),
    api=_api,
    commands=_commands,
)
