"""Pages of the funnels area: the public step page, the owner's funnels, editor and report."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from evergreen.funnels.views import owner, public, report, variants

__all__ = ["routers"]


def routers() -> Sequence[APIRouter]:
    """Every page router of the area."""
    return [public.router, owner.router, variants.router, report.router]
