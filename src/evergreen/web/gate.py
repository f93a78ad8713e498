"""The request gate: who may send a body to a route, and how large, checked before it is read.

FastAPI reads and parses a request body before it resolves a route's dependencies, so an
unauthenticated client could make the server buffer any amount. The gate wraps `receive`: on the
first read it looks up the route's declared access (web/deps.py) and body limit; a body that may
be large (over `CHECK_BEFORE_READ` bytes, or of unknown length) is read only once the caller's
credential has been checked, and no body is read past its limit, whatever Content-Length says.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import Depends
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from evergreen.accounts.rules import Access
from evergreen.web.deps import Declared, declared_access

__all__ = [
    "CHECK_BEFORE_READ",
    "DEFAULT_BODY_LIMIT",
    "MIB",
    "BodyLimit",
    "BodyTooLarge",
    "RequestGate",
    "RouteRule",
    "body_limit",
    "route_rules",
]

MIB = 1024 * 1024
DEFAULT_BODY_LIMIT = 1 * MIB
# Smaller bodies with a declared length are read first and checked by the route's own
# dependency, which saves a second credential lookup on the busiest small posts.
CHECK_BEFORE_READ = 64 * 1024


class BodyLimit:
    """A route's declared largest request body, when it needs more than DEFAULT_BODY_LIMIT."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __call__(self) -> None:
        """Nothing to do per request: the gate applied the limit while the body was read."""


def body_limit(size: int) -> Any:
    """Declare a route's body limit: `@router.post(..., dependencies=[body_limit(20 * MIB)])`."""
    return Depends(BodyLimit(size))


class BodyTooLarge(HTTPException):
    """A request body over its route's limit (413), said in words."""

    def __init__(self, limit: int) -> None:
        size = f"{limit / MIB:g} MiB" if limit >= MIB else f"{limit // 1024} KiB"
        super().__init__(
            413,
            f"The request body is larger than {size}, the most this address accepts; "
            "send less at a time (split the file or the batch).",
        )


@dataclass(frozen=True)
class RouteRule:
    """What the gate applies to one route."""

    declared: Declared | None
    limit: int


def _limits(dependant: Dependant) -> Iterator[int]:
    if isinstance(dependant.call, BodyLimit):
        yield dependant.call.size
    for sub in dependant.dependencies:
        yield from _limits(sub)


def route_rules(routes: Any) -> dict[int, RouteRule]:
    """Each API route's declared access and body limit, by the identity of the route object."""
    rules: dict[int, RouteRule] = {}
    for context in iter_route_contexts(routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            dependant: Dependant = context.dependant
            limit = max(_limits(dependant), default=DEFAULT_BODY_LIMIT)
            rules[id(route)] = RouteRule(declared_access(dependant), limit)
    return rules


_UNKNOWN = RouteRule(None, DEFAULT_BODY_LIMIT)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestGate:
    """ASGI middleware: the caller is checked before a large body is read; bodies are capped."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._rules: dict[int, RouteRule] | None = None

    def _rule(self, scope: Scope) -> RouteRule:
        if self._rules is None:
            self._rules = route_rules(scope["app"].router.routes)
        route = scope.get("route")
        return self._rules.get(id(route), _UNKNOWN) if route is not None else _UNKNOWN

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        read = 0
        limit: int | None = None

        async def gated_receive() -> Message:
            nonlocal read, limit
            if limit is None:  # the first read: the route is known by now
                rule = self._rule(scope)
                limit = rule.limit
                length = _content_length(scope)
                declared = rule.declared
                large = length is None or length > CHECK_BEFORE_READ
                if large and declared is not None and declared.access is not Access.PUBLIC:
                    await anyio.to_thread.run_sync(self._check, scope, declared)
                if length is not None and length > limit:
                    raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, gated_receive, send)

    @staticmethod
    def _check(scope: Scope, declared: Declared) -> None:
        """The route's own access check, on a read-only look at the database."""
        with scope["app"].state.db.reader_sessions() as session:
            declared.check_connection(HTTPConnection(scope), session)
