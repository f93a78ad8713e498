"""CSRF protection for form posts: a random cookie, and a form token derived by HMAC from it and
from the browser's session, so a token is good for one session only.

Before sign-in the CSRF cookie itself is the anonymous pre-session the sign-in form is bound to;
signing in (and out) sets a new one, so no token from before survives the change of session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.responses import Response

from evergreen.accounts.rules import SESSION_COOKIE
from evergreen.digits import is_digits
from evergreen.siteurl import site_url
from evergreen.web.errors import CsrfFailed

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "FORM_SIGNATURE_FIELD",
    "CsrfProtected",
    "PublicFormProtected",
    "csrf_token_for",
    "form_signature",
    "new_csrf_cookie",
    "request_csrf_token",
    "set_csrf_cookie",
]

CSRF_COOKIE = "evergreen_csrf"
CSRF_FIELD = "csrf_token"
FORM_SIGNATURE_FIELD = "form_signature"
PUBLIC_FORM_MAX_AGE = 2 * 3600  # seconds a rendered public form stays good without the cookie
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def new_csrf_cookie() -> str:
    """A fresh random value for the CSRF cookie."""
    return secrets.token_urlsafe(24)


def csrf_token_for(secret: str, cookie_value: str, session_cookie: str = "") -> str:
    """The form token that proves a post came from a page this site rendered for this session."""
    message = b"csrf:" + cookie_value.encode() + b"\x00" + session_cookie.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def request_csrf_token(request: Request, cookie_value: str) -> str:
    """The token for forms on a page answered to this request's session."""
    session_cookie = request.cookies.get(SESSION_COOKIE, "")
    return csrf_token_for(request.app.state.secret, cookie_value, session_cookie)


def set_csrf_cookie(response: Response, value: str, *, secure: bool) -> None:
    """Give the browser a CSRF cookie: on its first page, and a new one when its session changes."""
    response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="lax", secure=secure)


def _same_origin(request: Request, base_url: str) -> bool:
    """A browser's Origin header, when sent, must be this site (base URL or the Host asked for)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    allowed = {base_url.rstrip("/"), f"{request.url.scheme}://{request.headers.get('host', '')}"}
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}" in allowed


async def verify_csrf(request: Request) -> None:
    """Refuse a state-changing form post whose token does not match its cookie and session."""
    if request.method in _SAFE_METHODS:
        return
    if not _same_origin(request, site_url(request)):
        raise CsrfFailed("The form was posted from another site.")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request_csrf_token(request, cookie) if cookie else ""
    if not cookie or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise CsrfFailed("The form had expired or was not sent from this site.")


CsrfProtected = Annotated[None, Depends(verify_csrf)]


def form_signature(secret: str, path: str, issued: int) -> str:
    """A public form's own proof that this site rendered it for `path` at `issued` (seconds)."""
    mac = hmac.new(secret.encode(), f"form:{path}:{issued}".encode(), hashlib.sha256)
    return f"{issued}.{mac.hexdigest()}"


def _signed_form(secret: str, path: str, sent: object, now: float) -> bool:
    if not isinstance(sent, str) or sent.count(".") != 1:
        return False
    issued, _mac = sent.split(".")
    if not is_digits(issued) or len(issued) > 12:
        return False
    fresh = 0 <= now - int(issued) <= PUBLIC_FORM_MAX_AGE
    return fresh and hmac.compare_digest(sent, form_signature(secret, path, int(issued)))


async def verify_public_form(request: Request) -> None:
    """A public, anonymous form that may be framed on another site (the embedded checkout):
    there the browser withholds the SameSite CSRF cookie, so a form signed by this site for this
    address a little while ago stands in for it. The form carries no ambient authority (no
    sign-in is read), and a post whose Origin is another site is still refused."""
    if request.method in _SAFE_METHODS:
        return
    if request.cookies.get(CSRF_COOKIE):
        await verify_csrf(request)
        return
    if not _same_origin(request, site_url(request)):
        raise CsrfFailed("The form was posted from another site.")
    form = await request.form()
    sent = form.get(FORM_SIGNATURE_FIELD)
    if not _signed_form(request.app.state.secret, request.url.path, sent, time.time()):
        raise CsrfFailed("The form had expired or was not sent from this site.")


PublicFormProtected = Annotated[None, Depends(verify_public_form)]
