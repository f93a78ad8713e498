"""The redirect hot path, as plain ASGI in front of the app: look up, spool the click, answer."""

from __future__ import annotations

import logging
import re
import secrets
import time
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, quote

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from evergreen.links.ingest import agent_of
from evergreen.links.rules import (
    TRACKING_PARAMS,
    build_destination,
    choose_destination,
    device_os_key,
    is_expired,
)
from evergreen.links.runtime import CachedLink, LinkRuntime, country_of

__all__ = ["CLICK_COOKIE", "INTERNAL_COOKIE", "LinkRedirects"]

log = logging.getLogger(__name__)
CLICK_COOKIE = "evg_click"
INTERNAL_COOKIE = "evg_internal"
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")
_MAX_QUERY = 8192
_SAFE_URL = ":/?#[]@!$&'()*+,;=%~"
_NO_STORE = (b"cache-control", b"private, no-store, no-cache, max-age=0")
_NOT_FOUND = (
    b"<!doctype html><title>Link not found</title>"
    b"<p>This link does not exist or is no longer active.</p>"
)


def _click_id() -> str:
    """Time-ordered (milliseconds first) and random: sortable, unguessable, 32 hex digits."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


class LinkRedirects:
    """Answers /go/<slug> (or any path on the dedicated link domain) before the app sees it."""

    def __init__(self, app: ASGIApp, runtime: LinkRuntime) -> None:
        self.app = app
        self.runtime = runtime
        settings = runtime.settings
        self.prefix = settings.link_prefix + "/"
        self.domain = settings.link_domain.lower().encode() if settings.link_domain else None
        self.secure = settings.secure_cookies
        self.internal_value = runtime.internal_cookie()

    def _slug(self, scope: Scope) -> str | None:
        path: str = scope["path"]
        if path.startswith(self.prefix):
            return path[len(self.prefix) :].rstrip("/")
        if self.domain is not None and path not in ("/", "/healthz"):
            for name, value in scope["headers"]:
                if name == b"host":
                    if value.split(b":")[0].lower() == self.domain:
                        return path[1:].rstrip("/")
                    break
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            slug = self._slug(scope)
            if slug is not None:
                await self._answer(scope, send, slug.lower())
                return
        await self.app(scope, receive, send)

    async def _respond(
        self, send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _not_found(self, send: Send, status: int = 404, message: bytes = _NOT_FOUND) -> None:
        headers = [(b"content-type", b"text/html; charset=utf-8"), _NO_STORE]
        await self._respond(send, status, headers, message)

    async def _answer(self, scope: Scope, send: Send, slug: str) -> None:
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            await self._respond(send, 405, [(b"allow", b"GET, HEAD"), _NO_STORE], b"")
            return
        if not _SLUG.match(slug):
            await self._not_found(send)
            return
        link = self.runtime.cache.links.get(slug)
        if link is None:
            try:
                link = await run_in_threadpool(self.runtime.cache.load, slug)
            except Exception:
                log.warning("link lookup failed for %r", slug, exc_info=True)
                await self._not_found(send, 503, b"Temporarily unavailable; please retry.")
                return
        now = time.time()
        if (
            link is None
            or link.disabled
            or is_expired(link.expires_at, datetime.fromtimestamp(now, UTC))
        ):
            await self._not_found(send)
            return
        raw_query: bytes = scope["query_string"]
        if len(raw_query) > _MAX_QUERY:
            await self._not_found(send, 400, b"The query string is too long.")
            return
        await self._redirect(scope, send, link, method, now, raw_query)

    async def _redirect(
        self, scope: Scope, send: Send, link: CachedLink, method: str, now: float, raw_query: bytes
    ) -> None:
        headers = dict(scope["headers"])
        user_agent = headers.get(b"user-agent", b"").decode("latin-1")[:512]
        client = scope.get("client")
        ip = client[0] if client else ""
        incoming = parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True, errors="replace")
        country = country_of(ip) if ip else ""
        device_os = device_type = None
        if link.targets.needs_device:
            device_type, os_family, _browser = agent_of(user_agent)
            device_os = device_os_key(os_family)
        target = choose_destination(
            link.destination,
            link.targets,
            device_os=device_os,
            device_type=device_type,
            country=country,
        )
        click_id = _click_id()
        destination = build_destination(
            target,
            utm=link.utm,
            incoming=incoming,
            forward_query=link.forward_query,
            forward_tracking=link.forward_tracking,
            click_id=click_id if link.append_click_id else None,
            click_id_param=link.click_id_param,
        )
        purpose = (
            headers.get(b"sec-purpose") or headers.get(b"purpose") or headers.get(b"x-purpose")
            or headers.get(b"x-moz") or b""
        ).decode("latin-1")[:40]  # fmt: skip
        internal = self.runtime.is_internal_ip(ip) or self._internal_cookie(headers.get(b"cookie"))
        record = {
            "id": click_id,
            "l": link.id,
            "t": now,
            "m": method,
            "v": self.runtime.visitor(ip, user_agent),
            "ua": user_agent,
            "r": headers.get(b"referer", b"").decode("latin-1")[:512],
            "c": country,
            "p": purpose,
            "i": internal,
            "q": {k: v[:255] for k, v in incoming if k in TRACKING_PARAMS},
            "d": destination[:2048],
        }
        self.runtime.record(record)
        response_headers = [
            (b"location", quote(destination, safe=_SAFE_URL).encode("ascii")),
            _NO_STORE,
            (b"x-robots-tag", b"noindex"),
            (b"content-length", b"0"),
        ]
        if link.set_cookie:
            cookie = f"{CLICK_COOKIE}={click_id}; Max-Age=2592000; Path=/; SameSite=Lax; HttpOnly"
            response_headers.append(
                (b"set-cookie", (cookie + ("; Secure" if self.secure else "")).encode())
            )
        await self._respond(send, link.redirect_status, response_headers, b"")

    def _internal_cookie(self, header: bytes | None) -> bool:
        if not header or INTERNAL_COOKIE.encode() not in header:
            return False
        cookies = SimpleCookie()
        try:
            cookies.load(header.decode("latin-1"))
        except Exception:
            return False
        morsel = cookies.get(INTERNAL_COOKIE)
        return morsel is not None and secrets.compare_digest(morsel.value, self.internal_value)
