"""Sequences: autoresponders; stored sequences, enrolments and the due-step scheduler (CLI)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evergreen.areas import Area

__all__ = ["AREA"]


def _models() -> object:
    from evergreen.sequences import models

    return models


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.sequences import cli

    return [("sequences", cli.app)]


# No nav entry yet: the area has no pages (the map shows it once it has).
AREA = Area(name="sequences", models=_models, commands=_commands)
