"""The household's dashboard pages: the month's page, and the forms that record its items."""

from __future__ import annotations

from evergreen.household.views import items, page

__all__ = ["items", "page"]
