"""The dashboard's map: one entry per product area, in the order money flows."""

from __future__ import annotations

from evergreen.areas import NavEntry, navigation

__all__ = ["NavEntry", "navigation"]
