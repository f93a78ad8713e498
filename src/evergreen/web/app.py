"""The application factory: one FastAPI app serving the API, the dashboard and public pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from evergreen import __version__
from evergreen.accounts import api as accounts_api
from evergreen.accounts import views as accounts_views
from evergreen.config import Settings, get_settings, resolve_secret_key
from evergreen.db import Database
from evergreen.finance import api as finance_api
from evergreen.links import api as links_api
from evergreen.links import views as links_views
from evergreen.links.redirect import LinkRedirects
from evergreen.links.runtime import LinkRuntime
from evergreen.partners import api as partners_api
from evergreen.partners import networks_api
from evergreen.partners import portal as partners_portal
from evergreen.partners import signup as partners_signup
from evergreen.partners import views as partners_views
from evergreen.partners import views_earnings as partners_earnings
from evergreen.partners import views_invite as partners_invite
from evergreen.partners import views_networks as partners_networks
from evergreen.partners import views_webhooks as partners_webhooks
from evergreen.partners import webhooks_api as partners_webhooks_api
from evergreen.web import pages
from evergreen.web.errors import install_error_handlers
from evergreen.web.templates import build_templates

__all__ = ["create_app"]

_STATIC = Path(__file__).parent / "static"
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


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
                message["headers"] = list(message.get("headers", [])) + _SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


class EvergreenApp(FastAPI):
    """FastAPI, with short links answered before any middleware or routing (the hot path)."""

    redirects: LinkRedirects | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        redirects = self.redirects
        if redirects is not None and scope["type"] == "http":
            slug = redirects.match(scope)
            if slug is not None:
                await redirects.answer(scope, send, slug)
                return
        await super().__call__(scope, receive, send)


def _api_router() -> APIRouter:
    """Every JSON route lives under /api/v1 and needs an API token."""
    api = APIRouter(prefix="/api/v1")
    api.include_router(accounts_api.router)
    api.include_router(links_api.router)
    api.include_router(partners_webhooks_api.router)
    api.include_router(partners_api.router)
    api.include_router(networks_api.router)
    api.include_router(finance_api.router)
    api.include_router(pages.api_fallback)
    return api


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    ingest_clicks: bool = True,
) -> EvergreenApp:
    """Build the app; the caller owns migrations, the queue consumer and (if not here) ingestion."""
    settings = settings or get_settings()
    db = database or Database(settings.sqlalchemy_url)
    secret = resolve_secret_key(settings)
    links = LinkRuntime(settings, db, secret, ingest=ingest_clicks)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        links.start()
        yield
        links.stop()
        if database is None:
            db.dispose()

    app = EvergreenApp(
        title="Evergreen",
        version=__version__,
        summary="Passive and residual income, tracked and valued.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.secret = secret
    app.state.db = db
    app.state.links = links
    app.state.templates = build_templates()
    install_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    # Outermost: every page sees the client and scheme behind a trusted reverse proxy.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.redirects = LinkRedirects(links)
    app.mount("/static", StaticFiles(directory=_STATIC), name="static")
    app.include_router(pages.public)
    app.include_router(accounts_views.router)
    app.include_router(links_views.router)
    app.include_router(partners_portal.router)
    app.include_router(partners_signup.router)
    app.include_router(partners_invite.router)
    app.include_router(partners_earnings.router)
    app.include_router(partners_networks.router)
    app.include_router(partners_webhooks.router)
    app.include_router(partners_views.router)
    app.include_router(pages.dashboard)
    app.include_router(_api_router())
    return app
