"""Transitional: the old path of `links.clicks.ingest`, until other areas' tests import that."""

from __future__ import annotations

from evergreen.links.clicks.ingest import ClickPolicy, ingest_pending, ingest_records

__all__ = ["ClickPolicy", "ingest_pending", "ingest_records"]
