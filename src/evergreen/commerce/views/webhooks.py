"""POST /commerce/webhooks/stripe: Stripe's payment events, public (Stripe holds no account and
sends no cookie), proven by the Stripe-Signature header; each event applied once.

A refused signature is 400 naming the header; an unreadable body 400 naming the field; Stripe
not configured 404 saying what to set; a replay 200 (Stripe stops retrying), answered from a
read without waiting for a writer's turn. Never a 5xx for any input: a database failure rolls
everything back and Stripe retries (a busy database: 503 with Retry-After).
"""

from __future__ import annotations

import json

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from evergreen.commerce import service
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.payments import Provider
from evergreen.commerce.rules.payments import PaymentEvent
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.mail.transactional import Transactional, deliver_async
from evergreen.siteurl import site_url
from evergreen.web.deps import Public, SettingsDep, write_turn
from evergreen.web.gate import body_limit

__all__ = ["MAX_EVENT_BYTES", "PATH", "replay_answer", "replayed", "router"]

router = APIRouter(prefix="/commerce/webhooks", include_in_schema=False)
PATH = "/commerce/webhooks/stripe"  # replays are answered before routing: views/webhook_door.py
MAX_EVENT_BYTES = 256 * 1024  # Stripe's events are a few KiB


def _json(body: dict[str, object], status: int = 200) -> Response:
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


@router.post("/stripe", dependencies=[Public, body_limit(MAX_EVENT_BYTES)])
async def stripe_webhook(
    request: Request, settings: SettingsDep, background: BackgroundTasks
) -> Response:
    """Verify the signature, answer a replay from a read, and only then take a writer's turn to
    record and apply a new event, in one transaction."""
    provider = _provider(request, settings)
    if provider is None or settings.stripe_webhook_secret is None:
        detail = "Stripe webhooks are not configured: set EVERGREEN_STRIPE_SECRET_KEY and "
        return _json({"detail": detail + "EVERGREEN_STRIPE_WEBHOOK_SECRET."}, 404)
    payload = await request.body()
    signature = request.headers.get("Stripe-Signature", "")[:2000]
    db: Database = request.app.state.db
    try:
        event = provider.parse_webhook(payload, signature, utcnow())  # an HMAC: cheap, first
        done = await run_in_threadpool(replayed, db, provider, event)
        message = None
        if done is None:
            async with write_turn(request):
                applied, message = await run_in_threadpool(
                    _apply, db, provider, event, request.app.state.secret, site_url(request)
                )
            done = applied
    except CommerceInputError as exc:
        return _json({"detail": f"{exc.field}: {exc.message}", "field": exc.field}, 400)
    if message is not None:
        background.add_task(deliver_async, settings, message, "order receipt")
    return Response(
        replay_answer(done), headers={"Cache-Control": "no-store"}, media_type="application/json"
    )


def _provider(request: Request, settings: Settings) -> Provider | None:
    """One provider per app and settings: building Stripe's client was a third of a replay."""
    state = request.app.state
    held: tuple[Settings, Provider | None] | None = getattr(state, "webhook_provider", None)
    if held is None or held[0] is not settings:
        held = (settings, service.provider_for(settings))
        state.webhook_provider = held
    return held[1]


def replayed(db: Database, provider: Provider, event: PaymentEvent) -> service.Applied | None:
    """The outcome of a verified event applied before, from a reader; None when it is new."""
    with db.session(writer=False) as session:
        return service.replayed_webhook(session, provider, event)


def replay_answer(done: service.Applied) -> bytes:
    """The JSON body of a delivery's 200: the same for the route and the front door."""
    return json.dumps(
        {"received": True, "duplicate": done.duplicate, "order": done.order_number},
        separators=(",", ":"),
    ).encode()


def _apply(
    db: Database, provider: Provider, event: PaymentEvent, secret: str, base_url: str
) -> tuple[service.Applied, Transactional | None]:
    """The whole unit of work in this one thread, so it commits without waiting for another."""
    with db.session() as session:
        done = service.apply_webhook(session, provider, event, secret, utcnow())
        if not (done.newly_paid and done.order_number):
            return done, None
        return done, service.receipt_mail(session, done.order_number, secret, base_url)
