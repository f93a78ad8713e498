"""Reference for benchmarks/redirect.py: the least an ASGI redirect can do (dict lookup, 302)."""

from __future__ import annotations

from typing import Any

LINKS = {f"s{i}": f"https://shop.example/item/{i}".encode() for i in range(1000)}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Look the slug up in a dict and redirect, recording nothing."""
    if scope["type"] != "http":
        return
    location = LINKS.get(scope["path"].rsplit("/", 1)[-1])
    if location is None:
        await send({"type": "http.response.start", "status": 404, "headers": []})
    else:
        headers = [
            (b"location", location),
            (b"cache-control", b"no-store"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 302, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
