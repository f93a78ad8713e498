"""POST /commerce/webhooks/stripe: Stripe's payment events, public (Stripe holds no account and
sends no cookie), proven by the Stripe-Signature header; each event applied once.

A refused signature is 400 naming the header; an unreadable body 400 naming the field; Stripe
not configured 404 saying what to set; a replay 200 (Stripe stops retrying). Never a 5xx for
any input: a database failure rolls everything back and Stripe retries.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.payments import Provider
from evergreen.db import utcnow
from evergreen.mail.transactional import deliver_async
from evergreen.siteurl import site_url
from evergreen.web.deps import Public, SessionDep, SettingsDep
from evergreen.web.gate import body_limit

__all__ = ["MAX_EVENT_BYTES", "router"]

router = APIRouter(prefix="/commerce/webhooks", include_in_schema=False)
MAX_EVENT_BYTES = 256 * 1024  # Stripe's events are a few KiB


def _json(body: dict[str, object], status: int = 200) -> Response:
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


@router.post("/stripe", dependencies=[Public, body_limit(MAX_EVENT_BYTES)])
async def stripe_webhook(
    request: Request, session: SessionDep, settings: SettingsDep, background: BackgroundTasks
) -> Response:
    """Verify, record in the inbox and apply one Stripe event, in one transaction."""
    provider = service.provider_for(settings)
    if provider is None or settings.stripe_webhook_secret is None:
        detail = "Stripe webhooks are not configured: set EVERGREEN_STRIPE_SECRET_KEY and "
        return _json({"detail": detail + "EVERGREEN_STRIPE_WEBHOOK_SECRET."}, 404)
    payload = await request.body()
    signature = request.headers.get("Stripe-Signature", "")[:2000]
    secret = request.app.state.secret
    try:
        done = await _apply(session, provider, payload, signature, secret)
    except CommerceInputError as exc:
        return _json({"detail": f"{exc.field}: {exc.message}", "field": exc.field}, 400)
    if done.newly_paid and done.order_number:
        message = service.receipt_mail(session, done.order_number, secret, site_url(request))
        background.add_task(deliver_async, settings, message, "order receipt")
    return _json({"received": True, "duplicate": done.duplicate, "order": done.order_number})


async def _apply(
    session: Session, provider: Provider, payload: bytes, signature: str, secret: str
) -> service.Applied:
    return await run_in_threadpool(
        service.receive_webhook, session, provider, payload, signature, secret, utcnow()
    )
