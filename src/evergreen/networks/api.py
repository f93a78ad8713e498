"""JSON routes of the owner's affiliate income: networks, links, reports, earnings, postbacks."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from evergreen.csvfile import decode_utf8
from evergreen.db import utcnow
from evergreen.isodates import QueryDay
from evergreen.links.queries import SpooledClicks
from evergreen.money import show_amount
from evergreen.networks import queries, rules, service
from evergreen.networks.models import Network, NetworkEarning
from evergreen.networks.rules import secret_matches
from evergreen.siteurl import site_url
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import (
    MAX_ID,
    ApiOwner,
    ApiStaff,
    DbId,
    Public,
    SessionDep,
    SettingsDep,
    writes,
)
from evergreen.web.errors import field_error, unknown_field
from evergreen.web.gate import body_limit
from evergreen.web.jsonbody import check_json

__all__ = ["router"]

router = APIRouter(prefix="/networks", tags=["networks"])
_BODY_LIMIT = 64 * 1024
_REPORT_LIMIT = 20 * 1024 * 1024


def _network(session: SessionDep, network_id: DbId) -> Network:
    return service.get_network(session, network_id)


NetworkDep = Annotated[Network, Depends(_network)]


class NetworkIn(RequestBody):
    """A network or merchant to add; mappings default to common macro and column names."""

    name: str = Field(min_length=1, max_length=100)
    kind: Literal["network", "merchant"] = "network"
    postback_mapping: dict[str, str] | None = None
    status_values: dict[str, str] | None = None
    report_mapping: dict[str, str] | None = None
    stream_id: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="The income stream its earnings count in; made at the first when null.",
    )


def _postback_url(request: Request, network_id: int, secret: str) -> str:
    """Absolute, so it can be pasted into the network's dashboard as it is."""
    return f"{site_url(request)}/api/v1/networks/{network_id}/postback?secret={secret}"


def _out(request: Request, row: Network) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "kind": row.kind,
        "postback_url": _postback_url(request, row.id, "<secret>"),
        "postback_mapping": row.postback_mapping, "status_values": row.status_values,
        "report_mapping": row.report_mapping, "stream_id": row.stream_id,
    }  # fmt: skip


@router.get("", operation_id="list_networks")
def list_networks(request: Request, session: SessionDep, user: ApiStaff) -> list[dict[str, Any]]:
    """Every network (secrets are never shown again)."""
    return [_out(request, row) for row in queries.list_networks(session)]


@router.post("", status_code=201, operation_id="create_network")
def create_network(
    request: Request, body: NetworkIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: add a network; the response carries its postback secret, shown once."""
    row, secret = service.create_network(session, **body.model_dump())
    out = _out(request, row)
    out["postback_secret"] = secret
    out["postback_url"] = _postback_url(request, row.id, secret)
    return out


class SlugIn(RequestBody):
    """An outbound affiliate link, by slug."""

    slug: str = Field(min_length=1, max_length=64)


@router.post("/{network_id}/links", status_code=201, operation_id="assign_network_link")
def assign_link(
    user: ApiOwner, network: NetworkDep, body: SlugIn, session: SessionDep
) -> dict[str, Any]:
    """Owner only: make an affiliate link earn for this network."""
    row = service.assign_link(session, network, body.slug)
    return {"link_id": row.link_id, "network_id": row.network_id, "slug": body.slug}


class StreamIn(RequestBody):
    """The income stream a network's earnings count in (null: one made for it)."""

    stream_id: int | None = Field(ge=1, le=MAX_ID)


@router.put("/{network_id}/stream", operation_id="set_network_stream")
def set_stream(
    request: Request, user: ApiOwner, network: NetworkDep, body: StreamIn, session: SessionDep
) -> dict[str, Any]:
    """Owner only: the stream this network's earnings count in from now on."""
    return _out(request, service.set_stream(session, network, body.stream_id))


class PostbackMappingIn(RequestBody):
    """Which query parameter carries each field, and what the network's status words mean."""

    postback_mapping: dict[str, str]
    status_values: dict[str, str]


@router.put("/{network_id}/postback-mapping", operation_id="save_network_postback_mapping")
def save_postback_mapping(
    request: Request,
    user: ApiOwner,
    network: NetworkDep,
    body: PostbackMappingIn,
    session: SessionDep,
) -> dict[str, Any]:
    """Owner only: replace how this network's postbacks are read (both parts checked first)."""
    saved = service.save_postback_mapping(
        session, network, body.postback_mapping, body.status_values
    )
    return _out(request, saved)


@router.post("/{network_id}/secret", operation_id="renew_network_postback_secret")
def new_postback_secret(
    request: Request, user: ApiOwner, network: NetworkDep, session: SessionDep
) -> dict[str, Any]:
    """Owner only: replace the postback secret; the new URL is shown this once."""
    secret = service.new_postback_secret(session, network)
    return {**_out(request, network), "postback_url": _postback_url(request, network.id, secret)}


@router.put("/{network_id}/report-mapping", operation_id="save_network_report_mapping")
def save_report_mapping(
    request: Request,
    user: ApiOwner,
    network: NetworkDep,
    body: dict[str, str],
    session: SessionDep,
) -> dict[str, Any]:
    """Owner only: replace the CSV column names of this network's reports."""
    return _out(request, service.save_report_mapping(session, network, body))


async def _report_text(request: Request, _network: NetworkDep) -> str:
    """The CSV of a report: the whole text/csv body, or the "csv" member of a JSON body, its only
    one (read only once the network in the path exists)."""
    body = await request.body()
    if len(body) > _REPORT_LIMIT:
        raise HTTPException(413, "The report is larger than 20 MB; split it.")
    text = decode_utf8(body, lambda problem: field_error("csv", f"the report {problem}"))
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(text)
            text = data["csv"]
        except (ValueError, KeyError, TypeError):
            raise field_error("csv", 'send {"csv": "<the CSV text>"}') from None
        check_json(data)
        for name in sorted(data):  # a dict: data["csv"] was found
            if name != "csv":
                raise unknown_field(name)
        text = str(text)
    return text


@router.post(
    "/{network_id}/reports",
    operation_id="import_network_report",
    dependencies=[body_limit(_REPORT_LIMIT + 64 * 1024)],  # room for a JSON wrapping
)
def import_report(
    user: ApiOwner,
    network: NetworkDep,
    text: Annotated[str, Depends(_report_text)],
    session: SessionDep,
) -> dict[str, Any]:
    """Owner only: import a CSV report (text/csv, or JSON {"csv": "..."}); safe to resend."""
    result = service.import_report(session, network, text, utcnow())
    return {
        "created": result.created, "updated": result.updated, "unchanged": result.unchanged,
        "errors": [{"line": n, "field": f, "message": m} for n, f, m in result.errors],
    }  # fmt: skip


def _earning(row: NetworkEarning) -> dict[str, Any]:
    return {
        "id": row.id, "network_id": row.network_id, "order_id": row.order_id,
        "click_id": row.click_id, "link_id": row.link_id, "sub": row.sub,
        "amount": None if row.amount is None else show_amount(row.amount),
        "commission": show_amount(row.commission), "currency": row.currency, "status": row.status,
        "occurred_at": row.occurred_at.isoformat(), "source": row.source,
        "matched": row.matched, "valid": row.valid, "note": row.note,
    }  # fmt: skip


@router.get("/earnings", operation_id="list_network_earnings")
def list_earnings(
    session: SessionDep,
    user: ApiStaff,
    matched: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """The latest earnings; ?matched=false lists the ones to review."""
    rows = queries.list_earnings(session, matched=matched, limit=limit)
    return [_earning(row) for row in rows]


@router.get("/earnings/report", operation_id="network_earnings")
def earnings_report(
    session: SessionDep,
    user: ApiStaff,
    by: str = "link",
    start: QueryDay | None = None,
    end: QueryDay | None = None,
) -> list[dict[str, Any]]:
    """Earnings, clicks, EPC and conversion rate by link, channel, network, sub-ID or month."""
    return [row.to_dict() for row in queries.earnings(session, by, start, end)]


async def _posted(request: Request) -> dict[str, str]:
    """Query parameters, overlaid by a form or JSON body when the network POSTs."""
    params = dict(request.query_params.items())
    if request.method != "POST":
        return params
    body = await request.body()
    if not body or len(body) > _BODY_LIMIT:
        return params
    kind = request.headers.get("content-type", "")
    text = body.decode("utf-8", errors="replace")
    if kind.startswith("application/json"):
        try:
            data = json.loads(text)
        except ValueError:
            return params
        if isinstance(data, dict):
            params.update({str(k): "" if v is None else str(v) for k, v in data.items()})
    else:
        params.update(dict(parse_qsl(text, keep_blank_values=True)))
    return params


async def _params(request: Request) -> dict[str, str]:
    """What the network sent, each NUL or lone surrogate as U+FFFD (kept for review)."""
    return rules.storable_params(await _posted(request))


Params = Annotated[dict[str, str], Depends(_params)]


def _receive(
    network: Network, params: dict[str, str], session: SessionDep, settings: SettingsDep
) -> JSONResponse:
    """A network reports a sale: no token, the network's secret instead; always stored."""
    if not secret_matches(network.postback_secret, params.get("secret")):
        return JSONResponse({"detail": "Missing or wrong postback secret."}, status_code=401)
    spooled = SpooledClicks.of(settings)  # a click answered a moment ago matches too
    received = service.receive_postback(session, network, params, utcnow(), spooled=spooled)
    if not received.stored or received.earning is None:
        return JSONResponse(
            {"stored": False, "detail": received.note or "nothing could be stored"},
            status_code=422,
        )
    return JSONResponse(
        {"stored": True, "matched": received.matched, "earning_id": received.earning.id,
         "note": received.note}
    )  # fmt: skip


@router.get("/{network_id}/postback", operation_id="record_postback_by_get", dependencies=[Public])
@writes
def postback_get(
    network: NetworkDep, params: Params, session: SessionDep, settings: SettingsDep
) -> JSONResponse:
    """A network's postback as a GET with query macros (no token: the network's secret)."""
    return _receive(network, params, session, settings)


@router.post("/{network_id}/postback", operation_id="record_postback", dependencies=[Public])
def postback_post(
    network: NetworkDep, params: Params, session: SessionDep, settings: SettingsDep
) -> JSONResponse:
    """A network's postback as a POST: query, form or JSON fields (no token: the secret)."""
    return _receive(network, params, session, settings)
