"""Errors raised by routes, and the handlers that turn them into pages or JSON for people."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, HTTPException, Request, params
from fastapi.dependencies.utils import get_flat_params
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from evergreen.db import DatabaseBusy, is_busy
from evergreen.errors import InputError

__all__ = [
    "CsrfFailed",
    "Forbidden",
    "LoginRequired",
    "PageAnswer",
    "field_error",
    "install_error_handlers",
    "unknown_field",
]

log = logging.getLogger(__name__)


# Both are HTTP exceptions so that they pass through FastAPI's body reading unchanged when the
# request gate raises them before a body is read (web/gate.py).
class LoginRequired(StarletteHTTPException):
    """A page needs a signed-in person; the browser is sent to the sign-in page."""

    def __init__(self) -> None:
        super().__init__(401, "Sign in to continue.")


class Forbidden(StarletteHTTPException):
    """Signed in, but this person's role may not do this."""

    def __init__(self, message: str = "Your account does not have access to this page.") -> None:
        super().__init__(403, message)
        self.message = message


class CsrfFailed(Exception):
    """A form post without a valid CSRF token."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PageAnswer(Exception):
    """A finished page (a form shown again with its error) raised past the route's session."""

    def __init__(self, response: Response) -> None:
        super().__init__("page answer")
        self.response = response


def field_error(field: str, message: str) -> HTTPException:
    """A 422 naming the field, in the same shape as FastAPI's own validation errors here."""
    return HTTPException(422, [{"field": field, "message": message, "loc": ["body", field]}])


# In place of pydantic's words for a field the body's model does not declare (web/bodies.py).
_UNKNOWN_FIELD = (
    "unknown field: this request does not take it; check the spelling "
    "(every route's fields are at /api/docs)"
)


def unknown_field(field: str) -> HTTPException:
    """The 422 for a field a route that reads its own JSON body does not take (as RequestBody's)."""
    return field_error(field, _UNKNOWN_FIELD)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    from evergreen.web.templates import render

    context: dict[str, Any] = {"title": title, "message": message, "status": status}
    return render(request, "error.html", context, status_code=status)


async def _login_required(request: Request, exc: Exception) -> Response:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    from urllib.parse import quote

    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


async def _forbidden(request: Request, exc: Exception) -> Response:
    message = exc.message if isinstance(exc, Forbidden) else "Forbidden."
    return _error_page(request, 403, "Not allowed", message)


async def _csrf_failed(request: Request, exc: Exception) -> Response:
    message = exc.message if isinstance(exc, CsrfFailed) else "Invalid form."
    return _error_page(request, 403, "Form refused", message + " Reload the page and try again.")


# FastAPI's answer to a body it cannot decode at all (bytes that are not UTF-8, say).
_UNPARSED_BODY = "There was an error parsing the body"


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _UNPARSED_BODY:
        message = "The body could not be read: send JSON encoded as UTF-8."
        if _wants_json(request):
            body = [{"field": "", "message": message, "loc": ["body"]}]
            return JSONResponse({"detail": body}, status_code=422)
        return _error_page(request, 400, "Please check the form", message)
    if _wants_json(request):
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )
    titles = {400: "Please check the form", 404: "Not found", 405: "Not allowed",
              401: "Sign in needed", 413: "Too large"}  # fmt: skip
    detail = exc.detail if isinstance(exc.detail, str) else "The request could not be handled."
    if exc.status_code == 404:
        detail = "There is nothing at this address."
    return _error_page(request, exc.status_code, titles.get(exc.status_code, "Error"), detail)


def _message(err: Any) -> str:
    return _UNKNOWN_FIELD if err.get("type") == "extra_forbidden" else str(err["msg"])


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": ".".join(str(p) for p in err["loc"] if p not in ("body", "query", "path")),
            "message": _message(err),
            "loc": list(err["loc"]),
        }
        for err in exc.errors()
    ]
    if _wants_json(request):
        return JSONResponse({"detail": errors}, status_code=422)
    message = "; ".join(f"{e['field'] or 'input'}: {e['message']}" for e in errors)
    return _error_page(request, 400, "Please check the form", message)


_PAGE_TITLES = {404: "Not found", 409: "Not possible", 422: "Please check the form"}


def _where(request: Request, field: str) -> str:
    """Where a refused field came from: "query" when it is one of the route's query
    parameters (a report's hourly_rate, a day), else "body"."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None:
        return "body"
    name = re.split(r"[\[.]", field, maxsplit=1)[0]
    flat = get_flat_params(dependant)
    queried = {p.alias for p in flat if isinstance(p.field_info, params.Query)}
    return "query" if name in queried else "body"


async def _input_error(request: Request, exc: Exception) -> Response:
    """The one mapping of an area's refusal: 422/404/409 JSON, or a page that says what to fix."""
    assert isinstance(exc, InputError)
    if _wants_json(request):
        if exc.status == 422:
            where = _where(request, exc.field)
            body: Any = [{"field": exc.field, "message": exc.message, "loc": [where, exc.field]}]
            return JSONResponse({"detail": body}, status_code=422)
        return JSONResponse({"detail": exc.message}, status_code=exc.status)
    status = 400 if exc.status == 422 else exc.status
    message = exc.message if exc.status == 404 or not exc.field else f"{exc.field}: {exc.message}"
    return _error_page(request, status, _PAGE_TITLES.get(exc.status, "Error"), message)


async def _page_answer(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageAnswer)
    return exc.response


async def _busy(request: Request, exc: Exception) -> Response:
    """The database stayed locked past the bounded wait: 503 and when to retry, never a 500."""
    if not is_busy(exc):
        return await _unexpected(request, exc)
    log.warning("database busy on %s %s: %s", request.method, request.url.path, exc)
    response = _error_page(
        request, 503, "Busy", "The database is busy with other writes; please try again shortly."
    )
    response.headers["Retry-After"] = str(DatabaseBusy.retry_after_s)
    return response


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _error_page(
        request, 500, "Something went wrong", "The error was logged; please try again."
    )


def install_error_handlers(app: FastAPI) -> None:
    """Every failure becomes a clear page or JSON body, never a traceback."""
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(CsrfFailed, _csrf_failed)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(PageAnswer, _page_answer)
    app.add_exception_handler(RequestValidationError, _validation_error)
    for busy in (DatabaseBusy, OperationalError, PoolTimeout):
        app.add_exception_handler(busy, _busy)
    app.add_exception_handler(Exception, _unexpected)
