"""The partner portal (being built)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from evergreen.web.deps import OptionalUser
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/portal")
def portal(request: Request, user: OptionalUser) -> Response:
    """The partner portal's front door."""
    if user is None:
        return RedirectResponse("/login?next=/portal", status_code=303)
    return render(request, "coming.html", {"title": "Partner portal", "area": None})
