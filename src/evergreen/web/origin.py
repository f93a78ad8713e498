"""Which address each request reached, noted before anything rewrites the client or scheme."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from evergreen.addresses import TrustedProxies
from evergreen.siteurl import ORIGIN_KEY, origin_of

__all__ = ["RequestOrigin"]


class RequestOrigin:
    """Leaves the request's origin in the scope for `siteurl.site_url`; must run outermost,
    while the peer is still the connection's (the proxy middleware replaces it)."""

    def __init__(self, app: ASGIApp, trusted_proxies: str) -> None:
        self.app = app
        self.proxies = TrustedProxies(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            scope[ORIGIN_KEY] = origin_of(
                scope["scheme"],
                scope.get("server"),
                scope["headers"],
                client[0] if client else None,
                self.proxies,
            )
        await self.app(scope, receive, send)
