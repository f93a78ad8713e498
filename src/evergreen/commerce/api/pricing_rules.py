"""/api/v1/commerce/price-rules and /margin-floors: the owner's named price rules (preview on
products, apply to every physical product) and the margin guard's floor per currency."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from evergreen.commerce import service
from evergreen.commerce.api.products import RangeIn
from evergreen.commerce.models import MarginFloor, PriceRuleRow
from evergreen.commerce.rules.products import from_cents
from evergreen.money import show_money
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, ApiStaff, DbId, SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/commerce", tags=["commerce"])
Currency = Annotated[str, Path(max_length=10, description="ISO 4217, like USD.")]


class NamedRuleIn(RequestBody):
    """A named price rule: ranges of landed cost, charm ending, compare-at factor, zone."""

    name: str = Field(max_length=200)
    currency: str = Field(max_length=10)
    ranges: list[RangeIn] = Field(min_length=1, max_length=50)
    ending: str | None = Field(None, max_length=40, description='Like "0.99".')
    compare_at_factor: str | None = Field(None, max_length=40)
    zone: str = Field("*", max_length=40)
    is_default: bool = False


class FloorIn(RequestBody):
    """The least margin in a currency: a percent of the price, an amount, or both."""

    percent: str | None = Field(None, max_length=20, description='Like "25".')
    amount: str | None = Field(None, max_length=40, description='Like "3.00".')
    zone: str = Field("*", max_length=40, description="Whose landed cost is judged.")


def _rule(row: PriceRuleRow) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "currency": row.currency, "ranges": row.ranges,
        "ending": row.ending, "compare_at_factor": row.compare_at_factor, "zone": row.zone,
        "is_default": row.is_default,
    }  # fmt: skip


def _floor(row: MarginFloor) -> dict[str, Any]:
    amount = None if row.amount_cents is None else show_money(from_cents(row.amount_cents))
    percent = None if row.percent is None else f"{row.percent:f}"
    return {"currency": row.currency, "percent": percent, "amount": amount, "zone": row.zone}


def _draft(body: NamedRuleIn) -> service.RuleDraft:
    ranges = [(r.start, r.end, r.multiplier, r.margin) for r in body.ranges]
    return service.RuleDraft(
        body.name, body.currency, ranges, body.ending, body.compare_at_factor, body.zone,
        body.is_default,
    )  # fmt: skip


@router.get("/price-rules", operation_id="list_commerce_price_rules")
def list_rules(session: SessionDep, user: ApiStaff) -> list[dict[str, Any]]:
    """Every named price rule."""
    return [_rule(row) for row in service.list_rules(session)]


@router.post("/price-rules", status_code=201, operation_id="add_commerce_price_rule")
def add_rule(body: NamedRuleIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: a named price rule (checked: ranges from 0, touching, the last open)."""
    return _rule(service.save_rule(session, _draft(body)))


@router.put("/price-rules/{rule_id}", operation_id="update_commerce_price_rule")
def update_rule(
    rule_id: DbId, body: NamedRuleIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: change a price rule (prices it set stay until it is applied again)."""
    return _rule(service.save_rule(session, _draft(body), rule_id))


@router.delete("/price-rules/{rule_id}", status_code=204, operation_id="remove_commerce_price_rule")
def remove_rule(rule_id: DbId, session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: forget a price rule."""
    service.remove_rule(session, rule_id)
    return Response(status_code=204)


@router.get("/price-rules/{rule_id}/preview", operation_id="preview_commerce_price_rule")
def preview_rule(
    rule_id: DbId,
    session: SessionDep,
    user: ApiStaff,
    limit: Annotated[int, Query(ge=1, le=200)] = 10,
) -> list[dict[str, Any]]:
    """What the rule would do to the first products it can price."""
    return [
        {
            "product_id": q.product_id, "name": q.name,
            "current": None if q.current_cents is None else show_money(from_cents(q.current_cents)),
            "landed": show_money(q.quote.landed), "price": show_money(q.quote.price),
            "margin_percent": f"{q.quote.margin_percent:f}",
        }
        for q in service.preview_rule(session, rule_id, limit)
    ]  # fmt: skip


@router.post("/price-rules/{rule_id}/apply", operation_id="apply_commerce_price_rule")
def apply_rule(rule_id: DbId, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: price every physical product by the rule; the margin guard then runs."""
    result = service.apply_rule(session, rule_id)
    return {"priced": result.priced, "skipped": result.skipped, "paused": result.paused}


@router.get("/margin-floors", operation_id="list_commerce_margin_floors")
def list_floors(session: SessionDep, user: ApiStaff) -> list[dict[str, Any]]:
    """The margin guard's floor per currency."""
    return [_floor(row) for row in service.floor_rows(session)]


@router.put("/margin-floors/{currency}", operation_id="set_commerce_margin_floor")
def set_floor(
    currency: Currency, body: FloorIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: the least margin in a currency; products under it are paused on import."""
    return _floor(service.set_floor(session, currency, body.percent, body.amount, body.zone))


@router.delete(
    "/margin-floors/{currency}", status_code=204, operation_id="remove_commerce_margin_floor"
)
def remove_floor(currency: Currency, session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: no floor in this currency."""
    service.remove_floor(session, currency)
    return Response(status_code=204)
