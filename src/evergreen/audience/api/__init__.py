"""The audience's JSON API under /api/v1/audience: lists, subscribers, imports and exports.
Staff read; the owner writes, imports, exports and erases."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = ["routers"]


def routers() -> list[APIRouter]:
    """Lists, then subscribers, then imports, segments and the public forms endpoint."""
    from evergreen.audience.api import forms, imports, lists, segments, subscribers

    return [lists.router, subscribers.router, imports.router, segments.router, forms.router]
