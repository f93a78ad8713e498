"""The room's heartbeat, POST /w/<slug>/beat: public, signed by the room token, spooled and
answered 204 at once; refusals are JSON naming the field (never a 500 for any body)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from evergreen.errors import InputError
from evergreen.web.deps import Public, client_address
from evergreen.webinars.beats.runtime import BeatRuntime, RateLimited
from evergreen.webinars.errors import WebinarInputError

__all__ = ["MAX_BODY", "router"]

router = APIRouter(include_in_schema=False)
Slug = Annotated[str, Path(max_length=60)]
MAX_BODY = 1024


def _refused(field: str, message: str, status: int) -> JSONResponse:
    return JSONResponse({"detail": [{"field": field, "message": message}]}, status_code=status)


def _read(body: bytes) -> tuple[str, int]:
    """The beat's token and second, or a refusal naming the field."""
    if len(body) > MAX_BODY:
        raise WebinarInputError("body", f"is longer than {MAX_BODY} bytes")
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise WebinarInputError("body", 'send JSON: {"token": "…", "second": 12}') from None
    if not isinstance(data, dict):
        raise WebinarInputError("body", 'send a JSON object: {"token": "…", "second": 12}')
    token, second = data.get("token"), data.get("second")
    if not isinstance(token, str) or not 0 < len(token) <= 100:
        raise WebinarInputError("token", "send the room link's token")
    if type(second) is float and second.is_integer():
        second = int(second)
    if type(second) is not int:
        raise WebinarInputError("second", "send the video's position as whole seconds")
    return token, second


@router.post("/w/{slug}/beat", dependencies=[Public], status_code=204)
async def beat(request: Request, slug: Slug) -> Response:
    """Record that the registrant's player is at `second` now (the room sends one every 5 s)."""
    runtime: BeatRuntime = request.app.state.webinars
    try:
        token, second = _read(await request.body())
        await run_in_threadpool(runtime.accept, slug, token, second, client_address(request))
    except RateLimited as exc:
        answer = _refused("client", "too many heartbeats from this address", 429)
        answer.headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
        return answer
    except InputError as exc:
        return _refused(exc.field, exc.message, exc.status)
    return Response(status_code=204)
