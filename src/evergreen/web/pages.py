"""Health check, the dashboard home and placeholders for areas still to come."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from evergreen import __version__
from evergreen.accounts import service as accounts
from evergreen.web.deps import ApiUser, DashboardUser, OptionalUser, Public, SessionDep
from evergreen.web.nav import NavEntry, navigation
from evergreen.web.templates import render

__all__ = ["add_placeholders", "api_fallback", "public"]

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
    return render(request, "dashboard.html", {"title": "Dashboard"})


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


@api_fallback.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def api_not_found(path: str, user: ApiUser) -> None:
    """Unknown API paths: 401 without a token (nothing is revealed), 404 with one."""
    raise HTTPException(404, f"No API endpoint at /api/v1/{path}.")
