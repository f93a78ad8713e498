"""/api/v1/commerce/coupons: discount codes. Staff read; the owner writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field

from evergreen.commerce import queries, service
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, ApiStaff, DbId, SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/commerce", tags=["commerce"])


class CouponIn(RequestBody):
    """A coupon: percent off, or an amount off in a currency; maybe for one product."""

    code: str = Field(max_length=60)
    percent_off: str | None = Field(None, max_length=20, description='Like "10".')
    amount_off: str | None = Field(None, max_length=20, description='Like "5.00".')
    currency: str | None = Field(None, max_length=10)
    product_id: int | None = Field(None, ge=1, le=2**31 - 1)
    expires_at: datetime | None = None
    max_redemptions: int | None = Field(None, ge=1, le=10_000_000)
    duration: str = Field(
        "once", max_length=10, description="On a subscription: once, repeating or forever."
    )
    duration_periods: int | None = Field(
        None, ge=1, le=120, description="Periods of a repeating one."
    )


@router.get("/coupons", operation_id="list_commerce_coupons")
def list_coupons(session: SessionDep, user: ApiStaff) -> list[dict[str, Any]]:
    """Every coupon, by code, with how often it was redeemed."""
    return [queries.coupon_dict(row) for row in service.list_coupons(session)]


@router.post("/coupons", status_code=201, operation_id="add_commerce_coupon")
def add_coupon(body: CouponIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: a coupon (a code once)."""
    draft = service.CouponDraft(
        body.code, body.percent_off, body.amount_off, body.currency, body.product_id,
        body.expires_at, body.max_redemptions, body.duration, body.duration_periods,
    )  # fmt: skip
    return queries.coupon_dict(service.add_coupon(session, draft))


@router.delete("/coupons/{coupon_id}", status_code=204, operation_id="remove_commerce_coupon")
def remove_coupon(coupon_id: DbId, session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: remove a coupon; orders keep the code they used."""
    service.remove_coupon(session, coupon_id)
    return Response(status_code=204)
