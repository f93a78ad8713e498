"""Starlette's TestClient, one thread hop a request. Its transport crosses from the test's
thread to the app's event loop eight times a request (events, a stream, the app task, each body
piece), ~2 ms of a ~6 ms request here; this one hands the whole exchange to the loop once and
takes the whole response back. What the app receives and what the test reads are the same:
the same scope, the body in one `http.request` message, `http.disconnect` once the response is
complete, background tasks finished before the call returns, the app's exception raised (or a
500 when the client is told not to raise). WebSockets keep Starlette's own path."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import anyio
import httpx2 as httpx  # the HTTP client Starlette's TestClient is built on
from starlette.testclient import _TestClientTransport

__all__ = ["OneHopTransport"]


class OneHopTransport(_TestClientTransport):
    """`starlette.testclient._TestClientTransport` for HTTP, in one call into the app's loop."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme not in ("http", "https"):
            return super().handle_request(request)
        body = request.read()
        with self.portal_factory() as portal:
            answer = portal.call(self._exchange, self._scope(request), body)
        status, headers, content, extensions = answer
        # A stream, not `content=`: httpx would add a Content-Length the app did not send.
        response = httpx.Response(
            status, headers=headers, stream=httpx.ByteStream(content), request=request
        )
        response.extensions.update(extensions)
        debug = extensions.get("http.response.debug")
        if debug is not None:
            if "template" in debug:
                response.template = debug["template"]  # type: ignore[attr-defined]
            if "context" in debug:
                response.context = debug["context"]  # type: ignore[attr-defined]
        return response

    def _scope(self, request: httpx.Request) -> dict[str, Any]:
        """The scope Starlette's transport builds for an HTTP request."""
        url = request.url
        port = url.port or {"http": 80, "https": 443}[url.scheme]
        headers: list[tuple[bytes, bytes]] = []
        if "host" not in request.headers:
            headers.append((b"host", url.netloc))
        for key, value in request.headers.multi_items():
            headers.append((key.lower().encode(), value.encode()))
        return {
            "type": "http",
            "http_version": "1.1",
            "method": request.method,
            "path": unquote(url.path),
            "raw_path": url.raw_path.split(b"?", 1)[0],
            "root_path": self.root_path,
            "scheme": url.scheme,
            "query_string": url.query.decode("ascii").encode(),
            "headers": headers,
            "client": self.client,
            "server": [url.raw_host.decode("ascii"), port],
            "extensions": {"http.response.debug": {}, "http.response.trailers": {}},
            "state": self.app_state.copy(),
        }

    async def _exchange(
        self, scope: dict[str, Any], body: bytes
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes, dict[str, Any]]:
        """Run the app to its end; the response's status, headers, body and extensions."""
        complete = anyio.Event()
        asked = False
        start: dict[str, Any] | None = None
        pieces: list[bytes] = []
        trailers: list[tuple[bytes, bytes]] = []
        extensions: dict[str, Any] = {}

        async def receive() -> dict[str, Any]:
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": body}
            await complete.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal start
            kind = message["type"]
            if kind == "http.response.start":
                assert start is None, 'Received multiple "http.response.start" messages.'
                start = message
            elif kind == "http.response.body":
                assert start is not None, '"http.response.body" before "http.response.start".'
                assert not complete.is_set(), '"http.response.body" after the response completed.'
                pieces.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False) and not start.get("trailers", False):
                    complete.set()
            elif kind == "http.response.trailers":
                trailers.extend(message.get("headers", []))
                if not message.get("more_trailers", False):
                    complete.set()
            elif kind == "http.response.debug":
                extensions["http.response.debug"] = message["info"]

        try:
            await self.app(scope, receive, send)  # type: ignore[arg-type]
        except BaseException:
            if self.raise_server_exceptions:
                raise
            if start is None:
                return 500, [], b"", extensions
        finally:
            complete.set()
        if start is None:
            if self.raise_server_exceptions:
                raise AssertionError("TestClient did not receive any response.")
            return 500, [], b"", extensions
        if start.get("trailers", False):
            extensions["http.response.trailers"] = trailers
        headers = [(bytes(key), bytes(value)) for key, value in start.get("headers", [])]
        content = b"" if scope["method"] == "HEAD" else b"".join(pieces)
        return start["status"], headers, content, extensions
