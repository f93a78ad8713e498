"""/api/v1/commerce/tax-rates: the owner's tax rates per country or region. Staff read; the
owner writes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field

from evergreen.commerce import service
from evergreen.commerce.models import TaxRate
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, ApiStaff, DbId, SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/commerce", tags=["commerce"])


class TaxRateIn(RequestBody):
    """A tax rate the owner charges in a country (and optionally a region)."""

    country: str = Field(max_length=10, description="ISO 3166-1 alpha-2, like DE.")
    region: str = Field("", max_length=120)
    percent: str = Field(max_length=20, description='Like "19" or "7.5".')
    inclusive: bool = False


def _rate(row: TaxRate) -> dict[str, Any]:
    return {
        "id": row.id,
        "country": row.country,
        "region": row.region,
        "percent": f"{row.percent.normalize():f}",
        "inclusive": row.inclusive,
    }


@router.get("/tax-rates", operation_id="list_commerce_tax_rates")
def list_tax_rates(session: SessionDep, user: ApiStaff) -> list[dict[str, Any]]:
    """Every tax rate, by country then region."""
    return [_rate(row) for row in service.list_tax_rates(session)]


def _tax_draft(body: TaxRateIn) -> service.TaxDraft:
    return service.TaxDraft(body.country, body.percent, body.region, body.inclusive)


@router.post("/tax-rates", status_code=201, operation_id="add_commerce_tax_rate")
def add_tax_rate(body: TaxRateIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: a tax rate for a country or region (one each)."""
    return _rate(service.add_tax_rate(session, _tax_draft(body)))


@router.put("/tax-rates/{rate_id}", operation_id="update_commerce_tax_rate")
def update_tax_rate(
    rate_id: DbId, body: TaxRateIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: change a tax rate."""
    return _rate(service.update_tax_rate(session, rate_id, _tax_draft(body)))


@router.delete("/tax-rates/{rate_id}", status_code=204, operation_id="remove_commerce_tax_rate")
def remove_tax_rate(rate_id: DbId, session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: remove a tax rate."""
    service.remove_tax_rate(session, rate_id)
    return Response(status_code=204)
