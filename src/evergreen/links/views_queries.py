"""Transitional: the old path of click counts, until partners reads them from `links.queries`."""

from __future__ import annotations

from evergreen.links.queries import Counts, counts_by_link

__all__ = ["Counts", "counts_by_link"]
