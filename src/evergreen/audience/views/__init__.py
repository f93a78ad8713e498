"""The audience's pages: forms (owner), the public sign-up form, the preference centre."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = ["routers"]


def routers() -> list[APIRouter]:
    """Every page router of the area."""
    from evergreen.audience.views import forms, preferences, signup

    return [forms.router, signup.router, preferences.router]
