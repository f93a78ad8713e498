"""The application factory: one FastAPI app serving the API, the dashboard and public pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from evergreen import __version__
from evergreen.areas import AppParts, FrontDoor, all_areas
from evergreen.config import Settings, get_settings, resolve_secret_key
from evergreen.db import Database
from evergreen.web import pages
from evergreen.web.apidocs import install_api_docs
from evergreen.web.background import router as background_tasks
from evergreen.web.backup import router as backup
from evergreen.web.errors import install_error_handlers
from evergreen.web.formbody import (
    refuse_nul_in_forms,
    refuse_nul_in_paths,
    refuse_nul_in_queries,
)
from evergreen.web.gate import RequestGate
from evergreen.web.jsonbody import refuse_lone_surrogates
from evergreen.web.openapi import describe_errors
from evergreen.web.origin import RequestOrigin
from evergreen.web.templates import build_templates

__all__ = ["create_app", "prepare_routes"]

_STATIC = Path(__file__).parent / "static"
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


_FRAMING = [header for header in _SECURITY_HEADERS if header[0] != b"x-frame-options"]


def _headers_for(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The security headers to add: a page that states who may frame it (a CSP with
    frame-ancestors, set by the page on purpose) gets no X-Frame-Options to contradict it."""
    for name, value in headers:
        if name.lower() == b"content-security-policy" and b"frame-ancestors" in value:
            return _FRAMING
    return _SECURITY_HEADERS


class SecurityHeaders:
    """Adds headers every response should carry, without buffering the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                message["headers"] = headers + _headers_for(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class EvergreenApp(FastAPI):
    """FastAPI, with the areas' front doors (hot paths) answered before middleware or routing."""

    front_doors: tuple[FrontDoor, ...] = ()

    def openapi(self) -> dict[str, Any]:
        """FastAPI's document, with the error answers every route really gives."""
        if self.openapi_schema is None:
            self.openapi_schema = describe_errors(super().openapi())
        return self.openapi_schema

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for door in self.front_doors:
                key = door.match(scope)
                if key is not None:
                    onward = await door.answer(scope, receive, send, key)
                    if onward is None:
                        return
                    receive = onward
                    break
        await super().__call__(scope, receive, send)


API_PREFIX = "/api/v1"


def _include_areas(app: FastAPI) -> None:
    """Every area's pages, a "coming" page for each area still to be built, then every JSON
    route under /api/v1 (each needs an API token). Routers go straight into the app: FastAPI
    analyses a route again at each include, and that analysis is most of the app's start."""
    for area in all_areas():
        for router in area.pages() if area.pages else ():
            app.include_router(router)
    placeholders = APIRouter()
    pages.add_placeholders(placeholders)
    app.include_router(placeholders)
    for area in all_areas():
        for router in area.api() if area.api else ():
            app.include_router(router, prefix=API_PREFIX)
    app.include_router(pages.api_fallback, prefix=API_PREFIX)


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    background: bool = True,
) -> EvergreenApp:
    """Build the app; the caller owns migrations, the queue consumer and (when `background` is
    False) the areas' background work, such as click ingestion, in another process."""
    settings = settings or get_settings()
    db = database or Database(settings.sqlalchemy_url)
    secret = resolve_secret_key(settings)
    parts = AppParts(settings=settings, db=db, secret=secret, background=background)
    runtimes = {area.name: area.runtime(parts) for area in all_areas() if area.runtime}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        for runtime, _door in runtimes.values():
            if runtime is not None:
                runtime.start()
        yield
        for runtime, _door in runtimes.values():
            if runtime is not None:
                runtime.stop()
        if database is None:
            db.dispose()

    app = EvergreenApp(
        title="Evergreen",
        version=__version__,
        summary="Passive and residual income, tracked and valued.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # install_api_docs: Swagger UI from local files
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[
            Depends(refuse_nul_in_paths),
            Depends(refuse_nul_in_queries),
            Depends(refuse_lone_surrogates),
            Depends(refuse_nul_in_forms),
        ],
    )
    app.state.settings = settings
    app.state.secret = secret
    app.state.db = db
    for name, (runtime, _door) in runtimes.items():
        if runtime is not None:
            setattr(app.state, name, runtime)
    app.state.templates = build_templates()
    install_error_handlers(app)
    # Innermost: the route is known when the body is first read; no body before the caller.
    app.add_middleware(RequestGate)
    app.add_middleware(SecurityHeaders)
    # Outermost: the address each request reached (absolute URLs), then the client and scheme
    # behind a trusted reverse proxy for every page.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.add_middleware(RequestOrigin, trusted_proxies=settings.trusted_proxies)
    app.front_doors = tuple(door for _runtime, door in runtimes.values() if door is not None)
    app.mount("/static", StaticFiles(directory=_STATIC), name="static")
    install_api_docs(app, "/api/openapi.json")
    app.include_router(pages.public)
    app.include_router(background_tasks)
    app.include_router(backup)
    _include_areas(app)
    return app


def prepare_routes(app: FastAPI) -> int:
    """Analyse every route now, at start-up: FastAPI does it on a route's first match, so the
    first request after a start (a 404 tries them all) waited ~0.5-1.7 s. Returns the count."""
    return sum(1 for _context in iter_route_contexts(app.router.routes))
