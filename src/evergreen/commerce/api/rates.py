"""/api/v1/commerce/exchange-rates: the owner's rates from a supplier's currency to a
checkout's (staff read; the owner sets and removes), the same table as the suppliers page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field

from evergreen.commerce.models import ExchangeRate
from evergreen.commerce.service import rates
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, ApiStaff, DbId, SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/commerce", tags=["commerce"])


class RateIn(RequestBody):
    """1 `base` costs `rate` `quote` (a number with at most 8 decimals, as a string)."""

    base: str = Field(max_length=3, examples=["USD"])
    quote: str = Field(max_length=3, examples=["EUR"])
    rate: str = Field(max_length=40, examples=["0.9213"])


def rate_dict(row: ExchangeRate) -> dict[str, Any]:
    """A rate as the API answers it (the rate as a string: exact, never a float)."""
    return {"id": row.id, "base": row.base, "quote": row.quote, "rate": f"{row.rate.normalize():f}",
            "updated_at": row.updated_at.isoformat()}  # fmt: skip


@router.get("/exchange-rates", operation_id="list_commerce_exchange_rates")
def list_rates(session: SessionDep, user: ApiStaff) -> list[dict[str, Any]]:
    """Every exchange rate by currency pair."""
    return [rate_dict(row) for row in rates.list_rates(session)]


@router.put("/exchange-rates", operation_id="set_commerce_exchange_rate")
def set_rate(body: RateIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: set a pair's rate (a new pair, or a new rate for a known one)."""
    return rate_dict(rates.set_rate(session, body.base, body.quote, body.rate))


@router.delete(
    "/exchange-rates/{rate_id}", status_code=204, operation_id="remove_commerce_exchange_rate"
)
def remove_rate(rate_id: DbId, session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: remove a rate (products needing it stop shipping in that currency)."""
    rates.remove_rate(session, rate_id)
    return Response(status_code=204)
