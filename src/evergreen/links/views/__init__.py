"""Dashboard pages for links, as one router: the list pages first, then one link's pages."""

from __future__ import annotations

from fastapi import APIRouter

from evergreen.links.views import link
from evergreen.links.views import list as list_pages

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
router.include_router(list_pages.router)
router.include_router(link.router)  # last: its /links/{slug} would shadow the pages above
