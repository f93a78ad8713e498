"""/api/v1/commerce/subscriptions: subscriptions (list, one with its orders and events), a
cancellation and a plan change (previewed, made, or a scheduled one called off) by the owner.
Staff read; the owner writes. Amounts are decimal strings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field

from evergreen.commerce import service
from evergreen.commerce.models import Subscription
from evergreen.commerce.rules.billing import STATUSES
from evergreen.commerce.rules.products import from_cents
from evergreen.db import utcnow
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, ApiStaff, DbId, PageNumber, SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/commerce", tags=["commerce"])
Status = Annotated[str | None, Query(max_length=20, description=", ".join(STATUSES))]


class CancelIn(RequestBody):
    """When the cancellation takes effect."""

    at_period_end: bool = Field(True, description="false: end it now")


class ChangeIn(RequestBody):
    """The price to move to and a key that makes a retry change (and charge) once."""

    price_id: int = Field(ge=1, le=2**31 - 1)
    idempotency_key: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    preview: bool = Field(False, description="true: only say what the change would do")


class FamilyIn(RequestBody):
    """A plan family's name ("" for none)."""

    family: str = Field(max_length=60)


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _dict(sub: Subscription, product: str) -> dict[str, Any]:
    return {
        "id": sub.id, "product_id": sub.product_id, "product": product, "status": sub.status,
        "buyer_email": sub.buyer_email, "amount": str(from_cents(sub.amount_cents)),
        "currency": sub.currency, "interval": sub.interval, "period": sub.period,
        "current_period_start": _when(sub.current_period_start),
        "current_period_end": _when(sub.current_period_end),
        "trial_end": _when(sub.trial_end), "cancel_at_period_end": sub.cancel_at_period_end,
        "ended_at": _when(sub.ended_at), "end_reason": sub.end_reason or None,
        "failed_attempts": sub.failed_attempts, "grace_until": _when(sub.grace_until),
        "price_id": sub.price_id, "pending_price_id": sub.pending_price_id,
        "coupon": sub.coupon_code or None,
    }  # fmt: skip


def _card(session: SessionDep, subscription_id: int) -> dict[str, Any]:
    card = service.subscriptions.subscription_card(session, subscription_id)
    data = _dict(card.subscription, card.product.name)
    data["orders"] = [
        {"number": o.number, "status": o.status, "total": str(from_cents(o.total_cents))}
        for o in card.orders
    ]
    data["events"] = [{"kind": e.kind, "at": _when(e.at)} for e in card.events]
    return data


@router.get("/subscriptions", operation_id="list_commerce_subscriptions")
def list_subscriptions(
    session: SessionDep, user: ApiStaff, status: Status = None, page: PageNumber = 1
) -> dict[str, Any]:
    """Subscriptions newest first, by status, a page of 50 at a time."""
    rows, total = service.subscriptions.list_subscriptions(session, status, page)
    return {"total": total, "page": page, "subscriptions": [_dict(s, n) for s, n in rows]}


@router.get("/subscriptions/{subscription_id}", operation_id="get_commerce_subscription")
def get_subscription(subscription_id: DbId, session: SessionDep, user: ApiStaff) -> dict[str, Any]:
    """One subscription with its period orders and events."""
    return _card(session, subscription_id)


@router.post("/subscriptions/{subscription_id}/cancel", operation_id="cancel_commerce_subscription")
def cancel_subscription(
    subscription_id: DbId, body: CancelIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: cancel at the period's end (default) or now."""
    service.subscriptions.cancel(
        session, subscription_id, utcnow(), at_period_end=body.at_period_end
    )
    return _card(session, subscription_id)


@router.post("/subscriptions/{subscription_id}/change", operation_id="change_commerce_subscription")
def change_subscription(
    subscription_id: DbId, body: ChangeIn, request: Request, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: an upgrade now (its prorated charge first), a downgrade at the renewal;
    `preview` answers what it would do and charge without doing it."""
    provider = service.provider_for(request.app.state.settings)
    subs = service.subscriptions
    if body.preview:
        quote = subs.quote_change(session, provider, subscription_id, body.price_id, utcnow())
        return {
            "price_id": quote.price.id, "takes_effect": "now" if quote.now else "renewal",
            "at": _when(quote.at), "prorated": str(from_cents(quote.charge.total)),
            "tax": str(from_cents(quote.charge.tax)), "currency": quote.price.currency,
        }  # fmt: skip
    done = subs.change_plan(
        session, provider, subscription_id, body.price_id, body.idempotency_key,
        request.app.state.secret, utcnow(),
    )  # fmt: skip
    data = _card(session, subscription_id)
    data["outcome"] = done.outcome
    data["charged_order"] = done.order.number if done.order is not None else None
    return data


@router.post(
    "/subscriptions/{subscription_id}/change/cancel",
    operation_id="cancel_commerce_subscription_change",
)
def cancel_subscription_change(
    subscription_id: DbId, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: call off a scheduled plan change; it renews on its plan as before."""
    service.subscriptions.cancel_change(session, subscription_id)
    return _card(session, subscription_id)


@router.post("/products/{product_id}/plan-family", operation_id="set_commerce_plan_family")
def set_plan_family(
    product_id: DbId, body: FamilyIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: subscribers can move between the plans (products) of one family."""
    row = service.subscriptions.set_plan_family(session, product_id, body.family)
    return {"product_id": row.id, "plan_family": row.plan_family}
