"""JSON bodies hold storable Unicode text only: a lone surrogate (\\ud800) or a NUL (\\u0000)
is a 422, never a 500 later.

Python's json module accepts an escaped lone surrogate, and the string then fails wherever it
is encoded: the database, a response, a log line. It accepts an escaped NUL too, which
PostgreSQL refuses in text (SQLite would store it). The check runs once for every route with a
JSON body (an app-wide dependency), and the few routes that parse their own body call
`check_json` on what they parsed.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

__all__ = ["check_json", "refuse_lone_surrogates"]

# Only an escape can put a surrogate or a NUL in decoded JSON (raw surrogate bytes are not
# UTF-8, and JSON allows no raw control character in a string).
_ESCAPED_SURROGATE = re.compile(rb"\\u(?:[dD][89a-fA-F][0-9a-fA-F]{2}|0000)")


def _lone_surrogate(value: str) -> str | None:
    """What is wrong with the text (a lone surrogate or a NUL), or None."""
    for ch in value:
        if 0xD800 <= ord(ch) <= 0xDFFF:
            return f"contains a lone surrogate (\\u{ord(ch):04x}), which is not Unicode text"
        if ch == "\x00":
            return "contains a NUL character (\\u0000), which cannot be stored"
    return None


def _find(data: Any, at: tuple[str | int, ...]) -> tuple[tuple[str | int, ...], str] | None:
    """Where the first lone surrogate or NUL is (its location and what is wrong), or None."""
    if isinstance(data, str):
        found = _lone_surrogate(data)
        return (at, found) if found else None
    if isinstance(data, dict):
        for key, item in data.items():
            found = _lone_surrogate(key)
            if found:
                return (*at, key.encode("utf-8", "replace").decode()), found
            hit = _find(item, (*at, key))
            if hit:
                return hit
    elif isinstance(data, list):
        for index, item in enumerate(data):
            hit = _find(item, (*at, index))
            if hit:
                return hit
    return None


def check_json(data: Any, at: tuple[str | int, ...] = ("body",)) -> None:
    """Raise a 422 naming the field when decoded JSON holds a lone surrogate or a NUL."""
    hit = _find(data, at)
    if hit is None:
        return
    where, found = hit
    raise RequestValidationError(
        [
            {
                "type": "string_unicode",
                "loc": where,
                "msg": found,
                "input": None,
            }
        ]
    )


async def refuse_lone_surrogates(request: Request) -> None:
    """App-wide dependency: check a route's JSON body, already read by FastAPI, for lone
    surrogates and NULs."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or route.body_field is None:
        return  # routes that read their own body (postbacks, reports) call check_json
    if "json" not in request.headers.get("content-type", ""):
        return
    body = await request.body()
    if not _ESCAPED_SURROGATE.search(body):
        return
    try:
        data = await request.json()
    except ValueError:
        return  # FastAPI has answered invalid JSON already
    check_json(data)
