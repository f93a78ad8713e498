"""Outgoing webhooks: queue an event for each subscribed endpoint once, deliver signed, retry."""

from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.addresses import Addresses
from evergreen.partners.models import Commission, Program, WebhookDelivery, WebhookEndpoint
from evergreen.partners.rules import EndpointNotFound, PartnerRuleError
from evergreen.partners.rules.webhooks import SIGNATURE_HEADER, check_url, retry_delay, sign
from evergreen.partners.service.delivery import (
    DeliveryRefused,
    Sender,
    check_target,
    http_sender,
)

__all__ = [
    "EVENTS",
    "Sender",
    "add_endpoint",
    "commission_event",
    "delete_endpoint",
    "deliver_due",
    "delivery_payload",
    "emit",
    "get_endpoint",
    "http_send",
    "http_sender",
    "list_endpoints",
    "recent_deliveries",
    "set_active",
    "subscribed",
]

EVENTS = ("commission.created", "commission.approved", "commission.paid")
_NOBODY = Addresses("")
# Public addresses only; the app's deliveries use http_sender(EVERGREEN_WEBHOOK_ALLOW).
http_send: Sender = http_sender(_NOBODY)
# Deliveries are claimed this many at a time, at most this many batches a run; a claim not
# settled within the lease (its worker died) is sent again by the next run.
_CLAIM_BATCH = 50
_MAX_BATCHES = 10
_LEASE = timedelta(minutes=15)


def add_endpoint(
    session: Session,
    program: Program,
    url: str,
    events: list[str],
    *,
    allow: Addresses = _NOBODY,
) -> WebhookEndpoint:
    """Subscribe a URL; its signing secret is returned in the row (show it once). A host that
    resolves to an address that is not public is refused unless `allow` names it."""
    target = check_url(url)
    check_target(target, allow)
    unknown = [e for e in events if e not in EVENTS]
    if unknown or not events:
        raise PartnerRuleError("events", f"choose from {', '.join(EVENTS)}")
    endpoint = WebhookEndpoint(
        program_id=program.id, url=target, secret=secrets.token_hex(24), events=list(events)
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def list_endpoints(session: Session, program: Program) -> list[WebhookEndpoint]:
    """The program's endpoints, newest first."""
    query = (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.program_id == program.id)
        .order_by(WebhookEndpoint.id.desc())
    )
    return list(session.scalars(query))


def get_endpoint(session: Session, program: Program, endpoint_id: int) -> WebhookEndpoint:
    """One of the program's endpoints; EndpointNotFound when there is no such endpoint."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.program_id != program.id:
        raise EndpointNotFound("endpoint", f"no webhook endpoint with ID {endpoint_id}")
    return endpoint


def set_active(
    session: Session, program: Program, endpoint_id: int, active: bool
) -> WebhookEndpoint:
    """Pause or resume an endpoint: while paused nothing is queued and nothing is sent to it."""
    endpoint = get_endpoint(session, program, endpoint_id)
    endpoint.active = active
    session.flush()
    return endpoint


def delete_endpoint(session: Session, program: Program, endpoint_id: int) -> None:
    """Remove an endpoint; its delivery history goes with it (the foreign key cascades)."""
    session.delete(get_endpoint(session, program, endpoint_id))
    session.flush()


def recent_deliveries(
    session: Session, endpoints: list[WebhookEndpoint], limit: int = 5
) -> dict[int, list[WebhookDelivery]]:
    """Each endpoint's latest deliveries, so a failing receiver is seen at a glance."""
    return {
        endpoint.id: list(
            session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.endpoint_id == endpoint.id)
                .order_by(WebhookDelivery.id.desc())
                .limit(limit)
            )
        )
        for endpoint in endpoints
    }


def commission_event(commission: Commission) -> dict[str, Any]:
    """The JSON body describing a commission."""
    return {
        "id": commission.id,
        "partner_id": commission.partner_id,
        "kind": commission.kind,
        "amount": f"{commission.amount:.2f}",
        "currency": commission.currency,
        "status": commission.status,
        "reason": commission.reason,
    }


def subscribed(session: Session, program_id: int, event_type: str) -> list[WebhookEndpoint]:
    """The program's active endpoints that asked for this event type."""
    endpoints = session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.program_id == program_id, WebhookEndpoint.active.is_(True)
        )
    )
    return [endpoint for endpoint in endpoints if event_type in endpoint.events]


def delivery_payload(event_type: str, event_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The JSON body every delivery of an event carries."""
    return {"id": event_id, "type": event_type, "data": data}


def emit(
    session: Session, program_id: int, event_type: str, event_id: str, data: dict[str, Any]
) -> int:
    """Queue an event for every subscribed endpoint; the same event ID is queued only once."""
    queued = 0
    for endpoint in subscribed(session, program_id, event_type):
        try:
            with session.begin_nested():
                session.add(
                    WebhookDelivery(
                        endpoint_id=endpoint.id,
                        event_id=event_id,
                        event_type=event_type,
                        payload=delivery_payload(event_type, event_id, data),
                    )
                )
                session.flush()
            queued += 1
        except IntegrityError:
            continue  # already queued: event IDs deduplicate
    return queued


def _failure(status: int) -> str:
    """What went wrong with an answered (or unanswered) delivery, for the owner's list."""
    if not status:
        return "no answer"
    if 300 <= status < 400:
        return f"HTTP {status}: redirects are not followed; use the receiver's final URL"
    return f"HTTP {status}"


@dataclass(frozen=True)
class _Claimed:
    """A delivery this run has claimed, as plain values: it is sent with no transaction open."""

    id: int
    url: str
    secret: str
    event_id: str
    payload: dict[str, Any]


def _run_id() -> str:
    """Who claims: this host and process, and this run (two runs in one process differ)."""
    return f"{socket.gethostname()[:40]}/{os.getpid()}/{secrets.token_hex(4)}"


def _claim(session: Session, now: datetime, run: str) -> list[_Claimed]:
    """Mark up to a batch of due deliveries as this run's, in one statement: FOR UPDATE SKIP
    LOCKED on PostgreSQL, the single writer on SQLite. A claim older than the lease (its worker
    died mid-send) is due again."""
    due = (
        select(WebhookDelivery.id)
        .where(
            or_(
                and_(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now),
                and_(
                    WebhookDelivery.status == "sending", WebhookDelivery.claimed_at < now - _LEASE
                ),
            )
        )
        .order_by(WebhookDelivery.id)
        .limit(_CLAIM_BATCH)
        .with_for_update(skip_locked=True)
    )
    claim = (
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(due))
        .values(status="sending", claimed_by=run, claimed_at=now)
        .returning(WebhookDelivery.id)
    )
    ids = list(session.scalars(claim, execution_options={"synchronize_session": False}))
    rows = session.execute(
        select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id.in_(ids))
        .order_by(WebhookDelivery.id)
        .execution_options(populate_existing=True)
    ).all()
    claimed = []
    for delivery, endpoint in rows:
        if not endpoint.active:
            delivery.status = "cancelled"
            continue
        claimed.append(
            _Claimed(
                delivery.id, endpoint.url, endpoint.secret, delivery.event_id, delivery.payload
            )
        )
    return claimed


def _record(
    session: Session, claimed: _Claimed, run: str, status: int, now: datetime, refused: str | None
) -> bool | None:
    """Store one attempt's outcome (True delivered, False failed), unless the claim was lost."""
    delivery = session.get(WebhookDelivery, claimed.id, populate_existing=True)
    if delivery is None or delivery.status != "sending" or delivery.claimed_by != run:
        return None  # deleted with its endpoint, or reclaimed after the lease ran out
    delivery.attempts += 1
    delivery.last_status = status or None
    delivery.claimed_by, delivery.claimed_at = "", None
    if 200 <= status < 300:
        delivery.status, delivery.delivered_at = "delivered", now
        return True
    delivery.status = "pending"
    delivery.last_error = refused or _failure(status)
    wait = retry_delay(delivery.attempts)
    if wait is None:
        delivery.status = "failed"
    else:
        delivery.next_attempt_at = now + wait
    return False


def deliver_due(session: Session, now: datetime, send: Sender = http_send) -> tuple[int, int]:
    """Send every delivery that is due, each once however many workers run this at a time;
    returns (delivered, failed attempts).

    Deliveries are claimed and the claim committed before anything is sent; each outcome is
    committed as soon as it is known. No transaction is open while a receiver answers.
    """
    run = _run_id()
    delivered = failed = 0
    for _batch in range(_MAX_BATCHES):
        claimed = _claim(session, now, run)
        session.commit()
        if not claimed:
            break
        for item in claimed:
            body = json.dumps(item.payload, separators=(",", ":")).encode()
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "Evergreen-Webhooks/1.0",
                "Evergreen-Event-Id": item.event_id,
                SIGNATURE_HEADER: sign(item.secret, int(now.timestamp()), body),
            }
            try:
                status, refused = send(item.url, body, headers), None
            except DeliveryRefused as exc:  # not a public address (checked again at delivery)
                status, refused = 0, exc.reason
            outcome = _record(session, item, run, status, now, refused)
            session.commit()
            delivered += outcome is True
            failed += outcome is False
    return delivered, failed
