"""JSON routes of the owner's affiliate income: networks, links, reports, earnings, postbacks."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from evergreen.db import utcnow
from evergreen.partners import networks
from evergreen.partners.models import Earning, Network
from evergreen.partners.networks_earnings import earnings
from evergreen.partners.networks_rules import NetworkRuleError, secret_matches
from evergreen.web.deps import ApiOwner, ApiStaff, SessionDep
from evergreen.web.errors import field_error

__all__ = ["router"]

router = APIRouter(prefix="/networks", tags=["networks"])
_BODY_LIMIT = 64 * 1024
_REPORT_LIMIT = 20 * 1024 * 1024


def _network(session: SessionDep, network_id: int) -> Network:
    try:
        return networks.get_network(session, network_id)
    except networks.NetworkNotFound as exc:
        raise HTTPException(404, str(exc)) from None


class NetworkIn(BaseModel):
    """A network or merchant to add; mappings default to common macro and column names."""

    name: str = Field(min_length=1, max_length=100)
    kind: Literal["network", "merchant"] = "network"
    postback_mapping: dict[str, str] | None = None
    status_values: dict[str, str] | None = None
    report_mapping: dict[str, str] | None = None


def _out(row: Network) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "kind": row.kind,
        "postback_url": f"/api/v1/networks/{row.id}/postback?secret=<secret>",
        "postback_mapping": row.postback_mapping, "status_values": row.status_values,
        "report_mapping": row.report_mapping,
    }  # fmt: skip


@router.get("")
def list_networks(session: SessionDep, user: ApiStaff) -> list[dict[str, Any]]:
    """Every network (secrets are never shown again)."""
    return [_out(row) for row in networks.list_networks(session)]


@router.post("", status_code=201)
def create_network(body: NetworkIn, session: SessionDep, user: ApiStaff) -> dict[str, Any]:
    """Add a network; the response carries its postback secret, shown this once only."""
    try:
        row, secret = networks.create_network(session, **body.model_dump())
    except NetworkRuleError as exc:
        raise field_error(exc.field, exc.message) from None
    out = _out(row)
    out["postback_secret"] = secret
    out["postback_url"] = f"/api/v1/networks/{row.id}/postback?secret={secret}"
    return out


class SlugIn(BaseModel):
    """An outbound affiliate link, by slug."""

    slug: str = Field(min_length=1, max_length=64)


@router.post("/{network_id}/links", status_code=201)
def assign_link(
    network_id: int, body: SlugIn, session: SessionDep, user: ApiStaff
) -> dict[str, Any]:
    """Make an affiliate link earn for this network."""
    network = _network(session, network_id)
    try:
        row = networks.assign_link(session, network, body.slug)
    except NetworkRuleError as exc:
        raise field_error(exc.field, exc.message) from None
    return {"link_id": row.link_id, "network_id": row.network_id, "slug": body.slug}


class PostbackMappingIn(BaseModel):
    """Which query parameter carries each field, and what the network's status words mean."""

    postback_mapping: dict[str, str]
    status_values: dict[str, str]


@router.put("/{network_id}/postback-mapping")
def save_postback_mapping(
    network_id: int, body: PostbackMappingIn, session: SessionDep, user: ApiStaff
) -> dict[str, Any]:
    """Replace how this network's postbacks are read (both parts checked before either is saved)."""
    network = _network(session, network_id)
    try:
        saved = networks.save_postback_mapping(
            session, network, body.postback_mapping, body.status_values
        )
    except NetworkRuleError as exc:
        raise field_error(exc.field, exc.message) from None
    return _out(saved)


@router.post("/{network_id}/secret")
def new_postback_secret(network_id: int, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: replace the postback secret; the new URL is shown this once."""
    network = _network(session, network_id)
    secret = networks.new_postback_secret(session, network)
    return {
        **_out(network),
        "postback_url": f"/api/v1/networks/{network.id}/postback?secret={secret}",
    }


@router.put("/{network_id}/report-mapping")
def save_report_mapping(
    network_id: int, body: dict[str, str], session: SessionDep, user: ApiStaff
) -> dict[str, Any]:
    """Replace the CSV column names of this network's reports."""
    network = _network(session, network_id)
    try:
        return _out(networks.save_report_mapping(session, network, body))
    except NetworkRuleError as exc:
        raise field_error(exc.field, exc.message) from None


async def _report_text(request: Request) -> str:
    """The CSV of a report: the whole text/csv body, or the "csv" member of a JSON body."""
    body = await request.body()
    if len(body) > _REPORT_LIMIT:
        raise HTTPException(413, "The report is larger than 20 MB; split it.")
    text = body.decode("utf-8", errors="replace")
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            text = str(json.loads(text)["csv"])
        except (ValueError, KeyError, TypeError):
            raise HTTPException(
                422, [{"field": "csv", "message": 'send {"csv": "<the CSV text>"}'}]
            ) from None
    return text


@router.post("/{network_id}/reports")
def import_report(
    network_id: int,
    text: Annotated[str, Depends(_report_text)],
    session: SessionDep,
    user: ApiStaff,
) -> dict[str, Any]:
    """Import a CSV report: a text/csv body, or JSON {"csv": "..."}; safe to send again."""
    network = _network(session, network_id)
    result = networks.import_report(session, network, text, utcnow())
    return {
        "created": result.created, "updated": result.updated, "unchanged": result.unchanged,
        "errors": [{"line": n, "field": f, "message": m} for n, f, m in result.errors],
    }  # fmt: skip


def _earning(row: Earning) -> dict[str, Any]:
    return {
        "id": row.id, "network_id": row.network_id, "order_id": row.order_id,
        "click_id": row.click_id, "link_id": row.link_id, "sub": row.sub,
        "amount": None if row.amount is None else f"{row.amount:f}",
        "commission": f"{row.commission:f}", "currency": row.currency, "status": row.status,
        "occurred_at": row.occurred_at.isoformat(), "source": row.source,
        "matched": row.matched, "valid": row.valid, "note": row.note,
    }  # fmt: skip


@router.get("/earnings")
def list_earnings(
    session: SessionDep,
    user: ApiStaff,
    matched: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """The latest earnings; ?matched=false lists the ones to review."""
    rows = networks.list_earnings(session, matched=matched, limit=limit)
    return [_earning(row) for row in rows]


@router.get("/earnings/report")
def earnings_report(
    session: SessionDep,
    user: ApiStaff,
    by: str = "link",
    start: date | None = None,
    end: date | None = None,
) -> list[dict[str, Any]]:
    """Earnings, clicks, EPC and conversion rate by link, channel, network, sub-ID or month."""
    try:
        return [row.to_dict() for row in earnings(session, by, start, end)]
    except NetworkRuleError as exc:
        raise HTTPException(
            422, [{"field": exc.field, "message": exc.message, "loc": ["query", exc.field]}]
        ) from None


async def _params(request: Request) -> dict[str, str]:
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


Params = Annotated[dict[str, str], Depends(_params)]


def _receive(network_id: int, params: dict[str, str], session: SessionDep) -> JSONResponse:
    """A network reports a sale: no token, the network's secret instead; always stored."""
    network = _network(session, network_id)
    if not secret_matches(network.postback_secret, params.get("secret")):
        return JSONResponse({"detail": "Missing or wrong postback secret."}, status_code=401)
    received = networks.receive_postback(session, network, params, utcnow())
    if not received.stored or received.earning is None:
        return JSONResponse(
            {"stored": False, "detail": received.note or "nothing could be stored"},
            status_code=422,
        )
    return JSONResponse(
        {"stored": True, "matched": received.matched, "earning_id": received.earning.id,
         "note": received.note}
    )  # fmt: skip


@router.get("/{network_id}/postback")
def postback_get(network_id: int, params: Params, session: SessionDep) -> JSONResponse:
    """A network's postback as a GET with query macros (no token: the network's secret)."""
    return _receive(network_id, params, session)


@router.post("/{network_id}/postback")
def postback_post(network_id: int, params: Params, session: SessionDep) -> JSONResponse:
    """A network's postback as a POST: query, form or JSON fields (no token: the secret)."""
    return _receive(network_id, params, session)
