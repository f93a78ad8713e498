"""Pages of the mail area: broadcasts (list, compose, one broadcast) and the public
recipient routes (unsubscribe, open pixel)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from evergreen.mail.views import broadcasts, recipients

__all__ = ["routers"]


def routers() -> Sequence[APIRouter]:
    """Every page router of the area."""
    return [broadcasts.router, recipients.router]
