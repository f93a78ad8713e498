"""Pages of the mail area: the public recipient routes (unsubscribe, open pixel) and the
providers' bounce and complaint webhooks."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from evergreen.mail.views import hooks, recipients

__all__ = ["routers"]


def routers() -> Sequence[APIRouter]:
    """Every page router of the area."""
    return [recipients.router, hooks.router]
