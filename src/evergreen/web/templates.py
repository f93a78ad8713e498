"""Jinja2 environment over the layout and each area's templates, and the one render helper."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape
from starlette.responses import Response

from evergreen import __version__
from evergreen.areas import all_areas
from evergreen.money import show_amount, show_page_money
from evergreen.web.csrf import CSRF_COOKIE, new_csrf_cookie, request_csrf_token, set_csrf_cookie
from evergreen.web.nav import navigation

__all__ = ["build_templates", "render"]

_LAYOUT = Path(__file__).resolve().parent / "templates"


def build_templates() -> Jinja2Templates:
    """Layout templates by plain name, area templates as 'area/name.html'; HTML autoescaped."""
    areas = {
        area.name: FileSystemLoader(area.templates)
        for area in all_areas()
        if area.templates is not None
    }
    loader = ChoiceLoader([FileSystemLoader(_LAYOUT), PrefixLoader(areas)])
    env = Environment(loader=loader, autoescape=select_autoescape(default=True))
    env.filters["money"] = show_page_money  # {{ x | money }}
    env.filters["amount"] = _amount
    return Jinja2Templates(env=env)


def _amount(value: Decimal | None) -> str:
    """`{{ x | amount }}`: a stored amount put back in a form's box, exact and plain (59.10,
    1.2345), so that sending the form again reads the same amount."""
    return "" if value is None else show_amount(value)


def _served_by(request: Request) -> str:
    """The area whose code answered the request (its package under evergreen), which the
    navigation highlights: an area may serve pages under another's path."""
    module = getattr(request.scope.get("endpoint"), "__module__", "") or ""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "evergreen" else ""


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    """Render a page with the layout's needs (user, navigation, CSRF token) filled in."""
    app = request.app
    cookie = request.cookies.get(CSRF_COOKIE)
    fresh = cookie is None
    if cookie is None:
        cookie = new_csrf_cookie()
    full: dict[str, Any] = {
        "user": getattr(request.state, "user", None),
        "areas": navigation(),
        "csrf_token": request_csrf_token(request, cookie),
        "version": __version__,
        "path": request.url.path,
        "served_by": _served_by(request),
    }
    full.update(context or {})
    templates: Jinja2Templates = app.state.templates
    response = templates.TemplateResponse(request, name, full, status_code=status_code)
    if fresh:
        set_csrf_cookie(response, cookie, secure=app.state.settings.secure_cookies)
    return response
