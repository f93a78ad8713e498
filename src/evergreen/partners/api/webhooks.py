"""JSON routes for the owner's outgoing webhooks: subscribe, list with deliveries, pause, remove."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field

from evergreen.addresses import Addresses
from evergreen.partners import service
from evergreen.partners.models import WebhookDelivery, WebhookEndpoint
from evergreen.partners.service import webhooks
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, DbId, SessionDep, SettingsDep

__all__ = ["router"]

router = APIRouter(prefix="/partners/webhooks", tags=["partners"])


class WebhookIn(RequestBody):
    """A URL to notify, and which commission events it wants."""

    url: str = Field(min_length=8, max_length=2048)
    events: list[str] = Field(default_factory=lambda: list(webhooks.EVENTS), min_length=1)


@router.post("", status_code=201, operation_id="add_webhook")
def add_webhook(
    body: WebhookIn, session: SessionDep, settings: SettingsDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: subscribe a URL (public addresses only); the signing secret is shown once."""
    program = service.default_program(session)
    allow = Addresses(settings.webhook_allow, names=True)
    endpoint = service.add_endpoint(session, program, body.url, body.events, allow=allow)
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": endpoint.events,
        "secret": endpoint.secret,
        "signature_header": "Evergreen-Signature: t=<unix time>,v1=<HMAC-SHA256(secret, t.body)>",
    }


def _out(endpoint: WebhookEndpoint, deliveries: list[WebhookDelivery]) -> dict[str, Any]:
    return {
        "id": endpoint.id, "url": endpoint.url, "events": endpoint.events,
        "active": endpoint.active,
        "recent_deliveries": [
            {
                "event": d.event_type, "event_id": d.event_id, "status": d.status,
                "attempts": d.attempts, "last_status": d.last_status, "last_error": d.last_error,
                "next_attempt_at": d.next_attempt_at, "delivered_at": d.delivered_at,
            }
            for d in deliveries
        ],
    }  # fmt: skip


@router.get("", operation_id="list_webhooks")
def list_webhooks(session: SessionDep, user: ApiOwner) -> list[dict[str, Any]]:
    """Owner only: every endpoint (never its secret) with its latest deliveries."""
    program = service.default_program(session)
    endpoints = service.list_endpoints(session, program)
    recent = service.recent_deliveries(session, endpoints)
    return [_out(endpoint, recent.get(endpoint.id, [])) for endpoint in endpoints]


def _switch(session: SessionDep, endpoint_id: int, active: bool) -> dict[str, Any]:
    program = service.default_program(session)
    endpoint = service.set_active(session, program, endpoint_id, active)
    return _out(endpoint, [])


@router.post("/{endpoint_id}/disable", operation_id="disable_webhook")
def disable_webhook(endpoint_id: DbId, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: stop queueing and sending to this endpoint."""
    return _switch(session, endpoint_id, False)


@router.post("/{endpoint_id}/enable", operation_id="enable_webhook")
def enable_webhook(endpoint_id: DbId, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: queue and send to this endpoint again."""
    return _switch(session, endpoint_id, True)


@router.delete("/{endpoint_id}", status_code=204, operation_id="delete_webhook")
def delete_webhook(endpoint_id: DbId, session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: remove the endpoint and its delivery history."""
    program = service.default_program(session)
    service.delete_endpoint(session, program, endpoint_id)
    return Response(status_code=204)
