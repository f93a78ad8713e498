"""The audience's JSON API under /api/v1/audience: lists, subscribers, imports and exports,
segments and sign-up forms. Staff read; the owner writes, imports, exports and erases."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = ["routers"]


def routers() -> list[APIRouter]:
    """Lists, then subscribers, then imports, segments, the owner's sign-up forms and their
    public endpoint."""
    from evergreen.audience.api import form_admin, forms, imports, lists, segments, subscribers

    return [
        lists.router, subscribers.router, imports.router, segments.router, form_admin.router,
        forms.router,
    ]  # fmt: skip
