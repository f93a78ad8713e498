"""Pages of the mail area: broadcasts (list, compose, one broadcast), the public recipient
routes (unsubscribe, open pixel) and the providers' bounce and complaint webhooks."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from evergreen.mail.views import broadcasts, hooks, recipients

__all__ = ["routers"]


def routers() -> Sequence[APIRouter]:
    """Every page router of the area."""
    return [broadcasts.router, recipients.router, hooks.router]
