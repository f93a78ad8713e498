"""A real uvicorn server in this process, and many requests sent to it at the same moment."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.webworkers import server_config


@dataclass(frozen=True)
class Call:
    """One request to send: method, path and what goes with it."""

    method: str
    path: str
    json: Any = None
    params: dict[str, str] | None = None
    content: str | None = None
    headers: dict[str, str] | None = None
    data: dict[str, str] | None = None  # form fields sent with `files`, as multipart
    files: dict[str, tuple[str, bytes, str]] | None = None


async def _send(client: httpx.AsyncClient, call: Call) -> httpx.Response:
    return await client.request(
        call.method, call.path, json=call.json, params=call.params, content=call.content,
        headers=call.headers, data=call.data, files=call.files,
    )  # fmt: skip


@contextmanager
def live_server(
    settings: Settings,
    db: Database,
    prepare: Callable[[Any], None] | None = None,
    keep_alive_s: float | None = None,
) -> Iterator[str]:
    """The real app served by uvicorn on a free 127.0.0.1 port; yields its base URL.
    `prepare` may set the app's state first (a fake network in place of the real one);
    `keep_alive_s` shortens how long an idle connection is kept (uvicorn's 5 s)."""
    from evergreen.web import create_app

    app = create_app(settings, database=db, background=False)
    if prepare is not None:
        prepare(app)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = server_config(app, settings, "127.0.0.1", port)
    if keep_alive_s is not None:
        config.timeout_keep_alive = keep_alive_s  # type: ignore[assignment]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start within 20 s"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)
        sock.close()


def send_at_once(base_url: str, calls: list[Call], timeout: float = 60) -> list[httpx.Response]:
    """Send every call over its own connection, all in flight together; answers in order.

    One event loop drives them all (no client threads competing with the server for the GIL),
    each on a connection of its own, so the server holds them all at the same time.
    """

    async def main() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=len(calls), max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits) as client:
            return await asyncio.gather(*(_send(client, call) for call in calls))

    return asyncio.run(main())


def send_until_answered(base_url: str, calls: list[Call], tries: int = 5) -> list[httpx.Response]:
    """Send the calls at once, then each one answered 503 again (up to `tries` more rounds), as
    a client that honours Retry-After does; answers in order. No answer is a 5xx but a 503 that
    says when to try again (the bounded wait for the write turn)."""

    def check(responses: list[httpx.Response]) -> None:
        for response in responses:
            assert response.status_code < 500 or response.status_code == 503, response.text
            if response.status_code == 503:
                assert int(response.headers["Retry-After"]) > 0

    responses = send_at_once(base_url, calls)
    for _round in range(tries):
        check(responses)
        again = [i for i, r in enumerate(responses) if r.status_code == 503]
        if not again:
            break
        for i, response in zip(
            again, send_at_once(base_url, [calls[i] for i in again]), strict=True
        ):
            responses[i] = response
    check(responses)
    return responses
