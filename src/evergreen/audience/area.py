"""Audience: lists, subscribers with consent, tags, segments, import and export."""

from __future__ import annotations

from pathlib import Path

from evergreen.areas import Area, NavEntry

__all__ = ["AREA"]


def _models() -> object:
    from evergreen.audience import models

    return models


AREA = Area(
    name="audience",
    nav=NavEntry(
        "audience",
        "Audience",
        "Your lists: subscribers with their consent, tags, segments, import and export.",
        ready=False,  # until its pages land
        order=30,
    ),
    models=_models,
    templates=Path(__file__).parent / "templates",
)
