"""Posted forms and addresses hold storable text only: a NUL (%00) in a form field is a 400
naming it, in a query parameter a route reads a 422 naming it, in an address a 404, never a 500.

PostgreSQL stores no NUL in text, so a form field holding one failed at the database (a public
sign-up form's custom field, for one). People never type one; the check runs once for every
page route and every API route whose form body FastAPI reads (an app-wide dependency). A page
route that shows its own form again (`FormPageDep`) gets the refusal from its `on_error`, so the
form comes back as typed with the field named; others answer the plain error page. Routes that
read their own body for another system (a network's postback) keep what they are sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from evergreen.errors import InputError
from evergreen.web.errors import parameter_places
from evergreen.web.forms import REFUSED_FIELD, has_form_page

__all__ = ["refuse_nul_in_forms", "refuse_nul_in_paths", "refuse_nul_in_queries"]

_FORM = "application/x-www-form-urlencoded"
# Where other systems post (a network's postback, mail providers' and payment webhooks).
_THEIRS = ("/api/", "/mail/hooks/", "/commerce/webhooks/")


def first_nul(fields: Iterable[tuple[str, object]]) -> str | None:
    """The name of the first text field whose name or value holds a NUL."""
    for name, value in fields:
        if "\x00" in name or (isinstance(value, str) and "\x00" in value):
            return name.replace("\x00", "")[:60] or "?"
    return None


async def refuse_nul_in_forms(request: Request) -> None:
    """App-wide dependency: refuse a URL-encoded form field holding a NUL, by its name."""
    if request.method != "POST" or not request.headers.get("content-type", "").startswith(_FORM):
        return
    route = request.scope.get("route")
    if request.url.path.startswith(_THEIRS) and (
        not isinstance(route, APIRoute) or route.body_field is None
    ):
        return  # a route reading its own body for another system keeps what it was sent
    if isinstance(route, APIRoute) and route.body_field is not None:
        fields: Iterable[tuple[str, object]] = (await request.form()).multi_items()  # read
    else:  # the route reads its own body later: keep the bytes (cached) for it
        body = await request.body()
        if b"%00" not in body and b"\x00" not in body:
            return
        fields = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    field = first_nul(fields)
    if field is None:
        return
    message = (
        "contains a NUL character (%00), which cannot be stored; remove it and send the form again."
    )
    if has_form_page(route):  # the route's page shows it beside the form, kept as typed
        setattr(request.state, REFUSED_FIELD, InputError(field, message))
        return
    raise HTTPException(400, f"{field}: {message}")


async def refuse_nul_in_paths(request: Request) -> None:
    """App-wide dependency: no address holds a NUL (%00), so one is not found before a route
    looks it up (PostgreSQL refuses to compare text holding one: a 500)."""
    if "\x00" in request.scope["path"]:
        raise HTTPException(404)


async def refuse_nul_in_queries(request: Request) -> None:
    """App-wide dependency: a query parameter holds no NUL (a list's search sent one to
    PostgreSQL: a 500); a 422 names it. On a page's address every parameter is checked (pages
    read some themselves: a checkout's coupon, a stream's period); on an address other systems
    call (the API, hooks), those the route declares, so a click's own parameters, forwarded
    to a postback, pass as they came."""
    query = request.scope.get("query_string", b"")
    if b"%00" not in query and b"\x00" not in query:
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    theirs = request.url.path.startswith(_THEIRS)
    places = parameter_places(route) if theirs else {}
    field = first_nul((name, value) for name, value in request.query_params.multi_items()
                      if not theirs or places.get(name.replace("\x00", "")) == "query")  # fmt: skip
    if field is not None:
        message = "contains a NUL character (%00), which cannot be stored; remove it"
        raise RequestValidationError(
            [{"type": "string_nul", "loc": ("query", field), "msg": message, "input": None}]
        )
