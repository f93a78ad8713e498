"""Health check, the dashboard home and placeholders for areas still to come."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.routing import compile_path

from evergreen import __version__
from evergreen.accounts import service as accounts
from evergreen.areas import Area, HomeSection, all_areas
from evergreen.web.deps import ApiUser, DashboardUser, OptionalUser, Public, SessionDep
from evergreen.web.nav import NavEntry, navigation
from evergreen.web.templates import render

__all__ = ["add_placeholders", "api_fallback", "dashboard", "public"]

public = APIRouter(include_in_schema=False)
api_fallback = APIRouter(include_in_schema=False)


@public.get("/healthz", dependencies=[Public])
def healthz(request: Request) -> JSONResponse:
    """Liveness and database reachability, for load balancers and monitors."""
    db_ok = request.app.state.db.ping()
    body: dict[str, Any] = {
        "status": "ok" if db_ok else "error",
        "version": __version__,
        "database": "ok" if db_ok else "unreachable",
    }
    return JSONResponse(body, status_code=200 if db_ok else 503)


@public.get("/")
def home(request: Request, user: OptionalUser, session: SessionDep) -> Response:
    """Signed in: the dashboard; otherwise sign-in, or setup on a new installation."""
    if user is None:
        target = "/login" if accounts.owner_exists(session) else "/setup"
        return RedirectResponse(target, status_code=303)
    if user.role == "partner":
        return RedirectResponse("/portal", status_code=303)
    if user.role == "borrower":  # the borrower portal (lending); the dashboard is the team's
        return RedirectResponse("/borrower", status_code=303)
    return dashboard(request, session)


def dashboard(
    request: Request,
    session: Session,
    amend: Callable[[Area, HomeSection], HomeSection] | None = None,
) -> Response:
    """The dashboard home: each area's section, as `amend` has it (a form of one area refused
    on the page it came from); the page answers with the worst section's status."""
    sections = [area.home(request, session) for area in all_areas() if area.home]
    if amend is not None:
        areas = [area for area in all_areas() if area.home]
        sections = [amend(area, section) for area, section in zip(areas, sections, strict=True)]
    status = max((section.status for section in sections), default=200)
    context = {"title": "Dashboard", "sections": sections}
    return render(request, "dashboard.html", context, status_code=status)


def _area_page(area: NavEntry) -> Any:

    def page(request: Request, user: DashboardUser) -> Response:
        return render(request, "coming.html", {"title": area.title, "area": area})

    page.__doc__ = f"Placeholder for {area.title} until the area ships."
    return page


def add_placeholders(router: APIRouter) -> None:
    """A "coming" page at the address of every area not built yet."""
    for area in navigation():
        if not area.ready:
            router.add_api_route(
                f"/{area.slug}", _area_page(area), methods=["GET"], include_in_schema=False
            )


_ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]


def _allowed_methods(request: Request) -> list[str]:
    """The methods the API document lists at this path (Starlette names only the first route's);
    a literal path such as /links/bulk wins over a template such as /links/{slug}."""
    literal: set[str] = set()
    templated: set[str] = set()
    for template, item in request.app.openapi().get("paths", {}).items():
        regex, _format, _convertors = compile_path(template)
        if regex.match(request.url.path):
            found = {method.upper() for method in item if method.upper() in _ANY_METHOD}
            (templated if "{" in template else literal).update(found)
    return sorted(literal or templated)


@api_fallback.api_route("/{path:path}", methods=_ANY_METHOD)
def api_not_found(request: Request, path: str, user: ApiUser) -> None:
    """Unknown API paths: 401 without a token (nothing is revealed); with one, 405 naming the
    methods the path has, or 404."""
    allowed = _allowed_methods(request)
    # The method is there but a part of the path is not (a word where an ID goes): nothing here.
    if allowed and request.method not in allowed:
        raise HTTPException(
            405,
            f"{request.method} is not used at /api/v1/{path}; use {', '.join(allowed)}.",
            headers={"Allow": ", ".join(allowed)},
        )
    raise HTTPException(404, f"No API endpoint at /api/v1/{path}.")
