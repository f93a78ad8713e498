"""Transitional: the old path of `links.clicks.spool`, until other areas' tests import that."""

from __future__ import annotations

from evergreen.links.clicks.spool import ClickSpool, SpoolReader

__all__ = ["ClickSpool", "SpoolReader"]
