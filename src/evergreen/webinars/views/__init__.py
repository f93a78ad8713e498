"""Pages of the webinars area: the list with the add form, and one webinar with its edit form,
its deletion after a confirmation, and the sessions a visitor registering now would be offered."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from evergreen.webinars.views import analytics, beat, content, embed, register, room, webinars

__all__ = ["routers"]


def routers() -> Sequence[APIRouter]:
    """Every page router of the area."""
    return [
        webinars.router,
        content.router,
        register.router,
        embed.router,
        room.router,
        beat.router,
        analytics.router,
    ]
