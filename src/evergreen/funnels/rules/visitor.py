"""The signed, first-party visitor cookie of a funnel: a random visitor id and the steps the
visitor has seen, so a visitor counts once per step and a conversion once per step reached."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from evergreen.digits import row_id

__all__ = [
    "MAX_SEEN",
    "VisitCount",
    "Visitor",
    "cookie_name",
    "count_visit",
    "new_visitor",
    "read_cookie",
    "write_cookie",
]

MAX_SEEN = 40  # the latest steps kept; a funnel longer than this counts a revisit again
_COOKIE = re.compile(r"^([0-9a-f]{32})\.([0-9-]{0,400})\.([A-Za-z0-9_-]{32})$")


@dataclass(frozen=True)
class Visitor:
    """Who is visiting (a random id) and which step ids they have already seen."""

    id: str
    seen: tuple[int, ...] = ()

    def saw(self, step_id: int) -> Visitor:
        """The same visitor having also seen this step (the latest MAX_SEEN kept)."""
        if step_id in self.seen:
            return self
        return Visitor(self.id, (*self.seen, step_id)[-MAX_SEEN:])


def cookie_name(funnel_id: int) -> str:
    """One cookie per funnel, so funnels count their visitors independently."""
    return f"evergreen_funnel_{funnel_id}"


def new_visitor() -> Visitor:
    """A visitor never seen before."""
    return Visitor(secrets.token_hex(16))


def _signature(secret: str, funnel_id: int, body: str) -> str:
    key = hashlib.sha256(f"evergreen-key:funnel-visitor:{secret}".encode()).digest()
    digest = hmac.new(key, f"{funnel_id}:{body}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).rstrip(b"=").decode("ascii")


def write_cookie(secret: str, funnel_id: int, visitor: Visitor) -> str:
    """The cookie's value: id, seen steps, and an HMAC of both with the app's secret."""
    body = f"{visitor.id}.{'-'.join(str(s) for s in visitor.seen)}"
    return f"{body}.{_signature(secret, funnel_id, body)}"


def read_cookie(secret: str, funnel_id: int, value: str | None) -> Visitor | None:
    """The visitor a cookie names, or None when it is absent, malformed or not ours."""
    found = _COOKIE.match(value or "")
    if found is None:
        return None
    body = f"{found.group(1)}.{found.group(2)}"
    if not hmac.compare_digest(_signature(secret, funnel_id, body), found.group(3)):
        return None
    steps = [row_id(p) for p in found.group(2).split("-") if p]
    if None in steps:
        return None
    return Visitor(found.group(1), tuple(s for s in steps if s is not None)[-MAX_SEEN:])


@dataclass(frozen=True)
class VisitCount:
    """What one page view adds: a new visitor of the step, and the step it converts (if any)."""

    new_visitor: bool
    converts: int | None  # the earlier step this view is a conversion of
    visitor: Visitor  # the visitor with this step seen, for the cookie


def count_visit(visitor: Visitor, step_id: int, before: tuple[int, ...]) -> VisitCount:
    """A view of `step_id`: new if the visitor never saw it; then a conversion of the first step
    in `before` (the steps leading here) the visitor saw."""
    if step_id in visitor.seen:
        return VisitCount(False, None, visitor)
    converts = next((s for s in before if s in visitor.seen), None)
    return VisitCount(True, converts, visitor.saw(step_id))
