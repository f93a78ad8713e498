"""The redirect hot path: look the slug up, spool the click, answer — before FastAPI routing."""

from __future__ import annotations

import logging
import re
import secrets
import time
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import parse_qsl, quote

from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from evergreen.accounts.service import SESSION_COOKIE, team_session
from evergreen.addresses import TrustedProxies
from evergreen.areas import DoorResponse
from evergreen.links.clicks.ingest import agent_of
from evergreen.links.clicks.missing import NOT_FOUND_PAGE
from evergreen.links.clicks.runtime import CachedLink, LinkRuntime, country_of
from evergreen.links.rules import (
    TRACKING_PARAMS,
    build_destination,
    choose_destination,
    device_os_key,
    is_expired,
)

__all__ = ["CLICK_COOKIE", "LinkRedirects"]

log = logging.getLogger(__name__)
CLICK_COOKIE = "evg_click"
_SESSION_NAME = SESSION_COOKIE.encode()
_SESSION_MARK = _SESSION_NAME + b"="
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")
_MAX_QUERY = 8192
_SAFE_URL = ":/?#[]@!$&'()*+,;=%~"
_NO_STORE = (b"cache-control", b"private, no-store, no-cache, max-age=0")
_NO_INDEX = (b"x-robots-tag", b"noindex")
_EMPTY = (b"content-length", b"0")
_HTML = (b"content-type", b"text/html; charset=utf-8")
_NOT_FOUND_HEADERS = [
    _HTML, _NO_STORE, _NO_INDEX, (b"content-length", str(len(NOT_FOUND_PAGE)).encode()),
    (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
]  # fmt: skip
_PURPOSE_HEADERS = (b"sec-purpose", b"purpose", b"x-purpose", b"x-moz")
_FAILED: DoorResponse = (500, [_HTML, _NO_STORE], b"Something went wrong; please retry.")


@lru_cache(maxsize=65_536)
def _country(ip: str) -> str:
    """Countries by IP, cached: the same visitors and proxies come back again and again."""
    return country_of(ip) if ip else ""


class _Entropy:
    """Random hex digits from the OS in 64 KiB draws, not one system call per click ID."""

    def __init__(self) -> None:
        self.pool = ""
        self.at = 0

    def take(self, digits: int) -> str:
        """The next `digits` unpredictable hex digits (the event loop is the only caller)."""
        if self.at + digits > len(self.pool):
            self.pool, self.at = secrets.token_hex(32768), 0
        chunk = self.pool[self.at : self.at + digits]
        self.at += digits
        return chunk


_entropy = _Entropy()


def _click_id(now: float) -> str:
    """Time-ordered (milliseconds first) and random: sortable, unguessable, 32 hex digits."""
    return f"{int(now * 1000):012x}{_entropy.take(20)}"


# Stands for the click ID in a memoised destination; replaced by the real one per click.
_CLICK_ID_SLOT = secrets.token_hex(16)
_CLICK_ID_SLOT_BYTES = _CLICK_ID_SLOT.encode()
_MEMO_SIZE = 512  # destinations memoised per link


def _build(link: CachedLink, target: str, raw_query: bytes) -> tuple[dict[str, str], str, bytes]:
    """(tracking values to record, destination, Location header) for a target and a query.

    Pure in its inputs, so it is memoised on the cached link: most clicks on a link repeat the
    same query string (a post's sub-ID, a newsletter's UTM values).
    """
    incoming = _parse_query(raw_query) if raw_query else []
    destination = build_destination(
        target,
        utm=link.utm,
        incoming=incoming,
        forward_query=link.forward_query,
        forward_tracking=link.forward_tracking,
        click_id=_CLICK_ID_SLOT if link.append_click_id else None,
        click_id_param=link.click_id_param,
    )
    tracking = {k: v[:255] for k, v in incoming if k in TRACKING_PARAMS}
    built = (tracking, destination, _location(destination))
    if len(link.built) >= _MEMO_SIZE:
        link.built.clear()
    link.built[(target, raw_query)] = built
    return built


def _location(destination: str) -> bytes:
    """Header-safe URL: non-ASCII characters (an IRI) are percent-encoded, the rest kept.

    Destinations are checked when stored, but a row stored before that check (a DEL, a space, a
    lone surrogate) is percent-encoded here too, so every answered click has a valid Location.
    """
    if destination.isascii() and destination.isprintable() and " " not in destination:
        return destination.encode("ascii")
    return quote(destination, safe=_SAFE_URL, errors="surrogatepass").encode("ascii")


class LinkRedirects:
    """Answers /go/<slug> (or any path on the dedicated link domain) for the app."""

    def __init__(self, runtime: LinkRuntime) -> None:
        self.runtime = runtime
        settings = runtime.settings
        self.prefix = settings.link_prefix + "/"
        self.domain = settings.link_domain.lower().encode() if settings.link_domain else None
        self.secure = settings.secure_cookies
        self.proxies = TrustedProxies(settings.trusted_proxies)
        self.internal_ips = bool(runtime.internal_ips)
        fallback = settings.link_fallback_url
        self.fallback = _location(fallback) if fallback else None

    def _team_browser(self, cookie: bytes, now: float) -> bool:
        """Whether the Cookie header holds a valid owner's or staff member's session cookie
        (its signed role claim: partners signed in to the portal are visitors like any other)."""
        for part in cookie.split(b";"):
            name, _, value = part.strip().partition(b"=")
            if name == _SESSION_NAME:
                when = datetime.fromtimestamp(now, UTC)
                return team_session(self.runtime.secret, value.decode("latin-1"), when)
        return False

    def match(self, scope: Scope) -> str | None:
        """The slug this request asks for, or None when it is not a link request."""
        path: str = scope["path"]
        if path.startswith(self.prefix):
            return path[len(self.prefix) :].rstrip("/").lower()
        if self.domain is not None and path not in ("/", "/healthz"):
            for name, value in scope["headers"]:
                if name == b"host":
                    if value.split(b":")[0].lower() == self.domain:
                        return path[1:].rstrip("/").lower()
                    break
        return None

    def commit(self) -> None:
        """Spool the clicks of the redirects decided so far (one write for all of them)."""
        self.runtime.commit()

    def answer_now(self, scope: Scope, key: str) -> DoorResponse | None:
        """The answer from the cached link (or a refusal that needs no link); None when the
        link must be looked up in the database first. A failure is logged and answered."""
        try:
            return self._decide(scope, key, self.runtime.cache.links.get(key), False)
        except Exception:
            log.exception("redirect failed for %r", key)
            return _FAILED

    async def answer(self, scope: Scope, receive: Receive, send: Send, slug: str) -> None:
        """Redirect (or refuse) one request; a failure here is logged and answered, not raised."""
        response = self.answer_now(scope, slug)
        if response is None:  # not cached: one database lookup, off the event loop
            try:
                link = await run_in_threadpool(self.runtime.cache.load, slug)
            except Exception:
                log.warning("link lookup failed for %r", slug, exc_info=True)
                response = (503, [_HTML, _NO_STORE], b"Temporarily unavailable; retry.")
            else:
                try:
                    response = self._decide(scope, slug, link, True)
                except Exception:
                    log.exception("redirect failed for %r", slug)
                    response = _FAILED
        assert response is not None
        self.runtime.commit()  # the click is spooled before its redirect is sent
        status, headers, body = response
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _decide(
        self, scope: Scope, slug: str, link: CachedLink | None, looked_up: bool
    ) -> DoorResponse | None:
        """The response for a request, or None when the link must be looked up first."""
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            return 405, [(b"allow", b"GET, HEAD"), _NO_STORE, _EMPTY], b""
        if link is None:  # a cached link's slug is valid by construction; check the others
            if looked_up or not _SLUG.match(slug):
                return self._unavailable(None)
            return None
        now = time.time()
        if link.disabled or (
            link.expires_at and is_expired(link.expires_at, datetime.fromtimestamp(now, UTC))
        ):
            return self._unavailable(link.fallback_url)
        raw_query: bytes = scope["query_string"]
        if len(raw_query) > _MAX_QUERY:
            return 400, [_HTML, _NO_STORE], b"The query string is too long."
        return self._redirect(scope, link, method, now, raw_query)

    def _unavailable(self, fallback_url: str | None) -> DoorResponse:
        """No such link, or no longer active: its fallback, else the global one, else the page.
        Not a click: nothing is recorded."""
        location = _location(fallback_url) if fallback_url else self.fallback
        if location is None:
            return 404, _NOT_FOUND_HEADERS, NOT_FOUND_PAGE
        return 302, [(b"location", location), _NO_STORE, _NO_INDEX, _EMPTY], b""

    def _redirect(
        self, scope: Scope, link: CachedLink, method: str, now: float, raw_query: bytes
    ) -> DoorResponse:
        headers = dict(scope["headers"])
        user_agent = headers.get(b"user-agent", b"").decode("latin-1")[:512]
        client = scope.get("client")
        ip = client[0] if client else ""
        forwarded = headers.get(b"x-forwarded-for")
        if forwarded is not None:
            ip = self.proxies.client(ip, forwarded.decode("latin-1"))
        country = _country(ip)
        target = link.destination
        if link.targets.devices or link.targets.countries:
            device_os = device_type = None
            if link.targets.devices:
                device_type, os_family, _browser = agent_of(user_agent)
                device_os = device_os_key(os_family)
            target = choose_destination(
                target, link.targets, device_os=device_os, device_type=device_type, country=country
            )
        click_id = _click_id(now)
        built = link.built.get((target, raw_query))
        if built is None:
            built = _build(link, target, raw_query)
        tracking, destination, location = built
        if link.append_click_id:
            destination = destination.replace(_CLICK_ID_SLOT, click_id)
            location = location.replace(_CLICK_ID_SLOT_BYTES, click_id.encode())
        purpose = b""
        for name in _PURPOSE_HEADERS:
            purpose = headers.get(name, b"")
            if purpose:
                break
        cookie = headers.get(b"cookie")
        internal = (
            cookie is not None and _SESSION_MARK in cookie and self._team_browser(cookie, now)
        ) or (self.internal_ips and self.runtime.is_internal_ip(ip))
        self.runtime.record(
            {
                "id": click_id,
                "l": link.id,
                "t": now,
                "m": method,
                "v": self.runtime.visitor(ip, user_agent, now),
                "ua": user_agent,
                "r": headers.get(b"referer", b"").decode("latin-1")[:512],
                "c": country,
                "p": purpose.decode("latin-1")[:40],
                "i": internal,
                "q": tracking,
                "d": destination[:2048],
            }
        )
        response = [(b"location", location), _NO_STORE, _NO_INDEX, _EMPTY]
        if link.set_cookie:
            value = f"{CLICK_COOKIE}={click_id}; Max-Age=2592000; Path=/; SameSite=Lax; HttpOnly"
            response.append((b"set-cookie", (value + ("; Secure" if self.secure else "")).encode()))
        return link.redirect_status, response, b""


def _parse_query(raw: bytes) -> list[tuple[str, str]]:
    """Query parameters; plain ones (no escapes) are split directly, the rest by the stdlib."""
    text = raw.decode("latin-1")
    if "%" in text or "+" in text:
        return parse_qsl(text, keep_blank_values=True, errors="replace")
    return [
        (key, value) for key, _, value in (part.partition("=") for part in text.split("&") if part)
    ]
