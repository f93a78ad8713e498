"""Ledger: streams, the journal, hours and capital, and residual income per stream."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evergreen.areas import Area

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = ["AREA"]


def _models() -> object:
    from evergreen.ledger import models

    return models


def _pages() -> Sequence[APIRouter]:
    from evergreen.ledger.views import entries, stream

    return [stream.router, entries.router]


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.ledger import cli

    return [
        ("streams", cli.streams_app),
        ("ledger", cli.ledger_app),
        ("hours", cli.hours_app),
        ("capital", cli.capital_app),
    ]


AREA = Area(
    name="ledger",
    models=_models,
    pages=_pages,
    commands=_commands,
    templates=Path(__file__).parent / "templates",
)
