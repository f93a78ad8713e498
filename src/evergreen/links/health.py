"""Is a link's destination still there? A pure verdict on what a check saw, and the checks."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from http.client import HTTPMessage
from typing import IO, Protocol
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from evergreen.addresses import Addresses
from evergreen.db import Database
from evergreen.links.models import Link
from evergreen.outbound import Refused, opener

__all__ = [
    "ALLOW_SETTING",
    "MAX_CONCURRENT",
    "MAX_REDIRECTS",
    "USER_AGENT",
    "Checked",
    "Target",
    "check_enabled_links",
    "check_links",
    "check_url",
    "verdict",
]

USER_AGENT = "EvergreenLinkCheck/1.0"
ALLOW_SETTING = "EVERGREEN_LINK_CHECK_ALLOW"
_NOBODY = Addresses("")
MAX_REDIRECTS = 10
MAX_CONCURRENT = 8
_DEFAULT_PORTS = (80, 443)  # http → https on the same host is not a move
# Second-level labels under which a country code's sites register (shop.example.co.uk).
_SECOND_LEVEL = frozenset({"ac", "co", "com", "edu", "gov", "go", "ne", "net", "or", "org"})
_DETAIL_LIMIT = 300  # Link.health_detail


def _registrable(host: str) -> str:
    """The name a site registers, approximately, without the Public Suffix List."""
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        labels = host.split(".")
        short_tld = len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL
        return ".".join(labels[-3:] if short_tld else labels[-2:])
    return host


def _site(url: str) -> str:
    """Registrable host plus any non-default port: what "the same site" means for a verdict."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    site = _registrable(parts.hostname or "")
    return f"{site}:{port}" if port and port not in _DEFAULT_PORTS else site


def _is_home(url: str) -> bool:
    return urlsplit(url).path in ("", "/")


def verdict(
    original_url: str, final_url: str, status: int | None, error: str | None
) -> tuple[str, str]:
    """Say whether a destination still works, so dead or hijacked offers surface early."""
    if error:
        return "broken", f"no answer: {error}"
    if status is None:
        return "broken", "no answer from the server"
    if status >= 400:
        try:
            reason = f" {HTTPStatus(status).phrase}"
        except ValueError:
            reason = ""
        return "broken", f"HTTP {status}{reason} from {_site(final_url)}"
    before, after = _site(original_url), _site(final_url)
    if before != after:
        return "redirected", f"now lands on {after} instead of {before}: is the offer still there?"
    if _is_home(final_url) and not _is_home(original_url):
        return "redirected", f"now lands on the home page of {after}: the page may be gone"
    return "ok", f"HTTP {status}"


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow at most MAX_REDIRECTS redirects, to web addresses only, keeping HEAD a HEAD."""

    max_redirections = MAX_REDIRECTS

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            fp.close()
            raise urllib.error.URLError(f"redirects to {newurl[:80]!r}, which is not a web page")
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None:
            new.method = req.get_method()  # the standard handler turns a HEAD into a GET
        return new


def _fetch(url: str, method: str, timeout: float, allow: Addresses) -> tuple[str, int]:
    # No proxy from the environment: the address checked is the address connected to.
    checked = opener(allow, "link checks", ALLOW_SETTING, _Redirects())
    # The scheme was checked to be http(s) and redirects are limited to http(s).
    request = urllib.request.Request(  # noqa: S310
        url, method=method, headers={"User-Agent": USER_AGENT, "Accept": "*/*"}
    )
    try:
        with checked.open(request, timeout=timeout) as response:
            return response.geturl(), int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code < 400:  # a 3xx the redirect handler gave up on
            if exc.msg.startswith(urllib.request.HTTPRedirectHandler.inf_msg):
                raise urllib.error.URLError(
                    f"more than {MAX_REDIRECTS} redirects, or a redirect loop"
                ) from None
            raise urllib.error.URLError(f"HTTP {exc.code} without a place to go") from None
        return exc.geturl() or url, exc.code


def _describe(exc: BaseException, timeout: float) -> str:
    """A short sentence for a failed request, without a traceback."""
    reason: object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, Refused):
        return f"not checked: {reason.reason}"
    if isinstance(reason, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return "host name not found"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted ({reason.verify_message})"
    if isinstance(reason, ssl.SSLError):
        return f"TLS failed ({reason.reason})"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


def check_url(
    url: str, timeout: float = 10.0, allow: Addresses = _NOBODY
) -> tuple[str, int | None, str | None]:
    """Request a destination as a visitor would (HEAD, else GET) and report, never raising;
    only public addresses are reached unless `allow` names the host or its network."""
    try:
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            return url, None, "not an http:// or https:// address"
        final, status = _fetch(url, "HEAD", timeout, allow)
        if status in (405, 501):  # HEAD refused: ask again the way a browser does
            final, status = _fetch(url, "GET", timeout, allow)
    except Exception as exc:  # any failure is a finding about the link, not a crash
        return url, None, _describe(exc, timeout)
    return final, status, None


class Target(Protocol):
    """What a check needs of a link: a stored `Link`, or a `Checked` snapshot of one."""

    @property
    def id(self) -> int: ...
    @property
    def slug(self) -> str: ...
    @property
    def destination(self) -> str: ...


@dataclass(frozen=True)
class Checked:
    """A link as the nightly check read it, so no transaction stays open while it fetches."""

    id: int
    slug: str
    destination: str


def check_links(
    session: Session,
    links: Sequence[Target],
    now: datetime,
    *,
    timeout: float = 10.0,
    allow: Addresses = _NOBODY,
) -> list[tuple[str, str, str]]:
    """Check destinations a few at a time and store each verdict, so dead offers show up. A
    verdict is stored only on a link that still points where it was checked (one edited or
    deleted meanwhile is left out), and it is not an edit: the link's settings stay as stored."""
    targets = [Checked(link.id, link.slug, link.destination) for link in links]
    urls = list(dict.fromkeys(target.destination for target in targets))
    if not urls:
        return []
    with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENT, len(urls))) as pool:
        found = dict(zip(urls, pool.map(lambda u: check_url(u, timeout, allow), urls), strict=True))
    results: list[tuple[str, str, str]] = []
    for target in targets:
        state, detail = verdict(target.destination, *found[target.destination])
        detail = detail[:_DETAIL_LIMIT]
        stored = session.execute(
            update(Link)
            .where(Link.id == target.id, Link.destination == target.destination)
            # updated_at written as it is, so its onupdate does not fire: a check is no edit
            .values(
                health=state,
                health_detail=detail,
                health_checked_at=now,
                updated_at=Link.updated_at,
            )
            .execution_options(synchronize_session=False)
        )
        if stored.rowcount:  # type: ignore[attr-defined]
            results.append((target.slug, state, detail))
    for link in links:  # links loaded in this session show the verdicts when read next
        if isinstance(link, Link) and link in session:
            session.expire(link, ["health", "health_detail", "health_checked_at"])
    return results


def check_enabled_links(
    db: Database, now: datetime, allow: Addresses = _NOBODY
) -> list[tuple[str, str, str]]:
    """Check every enabled link's destination (the nightly job); disabled links send nobody.
    The links are read first and the verdicts stored after the fetches, so no writer waits
    for the network."""
    with db.session(writer=False) as session:
        rows = session.execute(
            select(Link.id, Link.slug, Link.destination).where(Link.disabled.is_(False))
        )
        targets = [Checked(row.id, row.slug, row.destination) for row in rows]
    with db.session() as session:
        return check_links(session, targets, now, allow=allow)
