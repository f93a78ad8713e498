"""/api/v1/commerce/products: products (list, create, read, change), their prices, supplier,
price rules and files (uploaded as the raw body). Staff read; the owner writes."""

from __future__ import annotations

from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import Field

from evergreen.commerce import queries, service
from evergreen.commerce.rules.products import MAX_FILE_BYTES, STATUSES, rule_of
from evergreen.money import show_money
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, ApiStaff, DbId, SessionDep, SettingsDep
from evergreen.web.gate import MIB, body_limit
from evergreen.web.uploads import chunks, spooled_body

__all__ = ["router"]

router = APIRouter(prefix="/commerce", tags=["commerce"])
Amount = Annotated[str, Field(max_length=40, description='An amount like "19.00".')]


class PriceIn(RequestBody):
    """A price in one currency; a subscription's renews each month or year after a trial."""

    currency: str = Field(max_length=10)
    amount: Amount
    compare_at: Amount | None = None
    interval: str | None = Field(None, max_length=10, description="month or year")
    trial_days: int = Field(0, ge=0, le=365)


class ProductIn(RequestBody):
    """A new product (a draft) and optionally its first price."""

    name: str = Field(max_length=400)
    kind: str = Field(max_length=20, description="digital, subscription, service, physical, bundle")
    description: str = Field("", max_length=60_000, description="Markdown.")
    price: PriceIn | None = None


class ProductChangesIn(RequestBody):
    """What changes: name, description, status (with its reason), a bundle's products."""

    name: str | None = Field(None, max_length=400)
    description: str | None = Field(None, max_length=60_000)
    status: str | None = Field(None, max_length=20, description=", ".join(STATUSES))
    status_reason: str = Field("", max_length=1000)
    bundle_product_ids: list[Annotated[int, Field(ge=1)]] | None = Field(None, max_length=100)
    bundle_quantities: dict[int, Annotated[int, Field(ge=1, le=1000)]] | None = Field(
        None, max_length=100, description="product id → how many one bundle holds (default 1)"
    )


class SupplierIn(RequestBody):
    """A physical product's supplier, cost and shipping per zone ("*": any other zone)."""

    name: str = Field(max_length=400)
    sku: str = Field("", max_length=200)
    currency: str = Field(max_length=10)
    cost: Amount
    shipping: dict[Annotated[str, Field(max_length=40)], Amount] = Field(
        default_factory=dict, max_length=50
    )
    processing_days: int | None = Field(None, ge=0, le=365)


class RangeIn(RequestBody):
    """Landed costs from `start` to `end` (none: no end), priced by a multiplier or a margin."""

    start: Amount
    end: Amount | None = None
    multiplier: Amount | None = None
    margin: Amount | None = None


class RuleIn(RequestBody):
    """A price rule (rules.pricing) and the shipping zone whose landed cost it prices."""

    currency: str = Field(max_length=10)
    ranges: list[RangeIn] = Field(min_length=1, max_length=50)
    ending: Amount | None = Field(None, description='Charm ending like "0.99".')
    compare_at_factor: Amount | None = None
    zone: str = Field("*", max_length=40)


def _card(session: SessionDep, product_id: int) -> dict[str, Any]:
    service.get_product(session, product_id)
    card = queries.product_card(session, product_id)
    assert card is not None
    return card.to_dict()


def _price_draft(body: PriceIn) -> service.PriceDraft:
    return service.PriceDraft(
        body.currency, body.amount, body.compare_at, body.interval, body.trial_days
    )


@router.get("/products", operation_id="list_commerce_products")
def list_products(
    session: SessionDep,
    user: ApiStaff,
    status: Annotated[str | None, Query(max_length=20)] = None,
) -> list[dict[str, Any]]:
    """Every product by name (or those with a status), with its prices."""
    return [card.to_dict() for card in queries.list_products(session, status)]


@router.post("/products", status_code=201, operation_id="create_commerce_product")
def create_product(body: ProductIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: a new draft product, with its first price when given."""
    row = service.add_product(session, service.ProductDraft(body.name, body.kind, body.description))
    if body.price is not None:
        service.add_price(session, row.id, _price_draft(body.price))
    return _card(session, row.id)


@router.get("/products/{product_id}", operation_id="get_commerce_product")
def get_product(product_id: DbId, session: SessionDep, user: ApiStaff) -> dict[str, Any]:
    """One product with its prices, files, bundle items, supplier and margins."""
    return _card(session, product_id)


@router.patch("/products/{product_id}", operation_id="update_commerce_product")
def update_product(
    product_id: DbId, body: ProductChangesIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: rename, describe, change the status (with its reason), set bundle items."""
    service.update_product(session, product_id, name=body.name, description=body.description)
    if body.bundle_product_ids is not None:
        service.set_bundle_items(
            session, product_id, body.bundle_product_ids, body.bundle_quantities
        )
    if body.status is not None:
        service.set_status(session, product_id, body.status, body.status_reason)
    return _card(session, product_id)


@router.put("/products/{product_id}/supplier", operation_id="set_commerce_supplier")
def set_supplier(
    product_id: DbId, body: SupplierIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: a physical product's supplier; the answer shows the landed margins."""
    draft = service.SupplierDraft(
        body.name, body.sku, body.currency, body.cost, body.shipping, body.processing_days
    )
    service.set_supplier(session, product_id, draft)
    return _card(session, product_id)


@router.post("/products/{product_id}/price-from-rule", operation_id="price_commerce_product")
def price_from_rule(
    product_id: DbId, body: RuleIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: set a physical product's price from a price rule on its landed cost."""
    rule = rule_of(
        body.currency,
        [(item.start, item.end, item.multiplier, item.margin) for item in body.ranges],
        body.ending,
        body.compare_at_factor,
    )
    price, quoted = service.price_from_rule(session, product_id, rule, body.zone)
    return {
        **queries.price_dict(price),
        "landed": show_money(quoted.landed),
        "margin": show_money(quoted.margin),
        "margin_percent": f"{quoted.margin_percent:f}",
    }


@router.post("/products/{product_id}/prices", status_code=201, operation_id="add_commerce_price")
def add_price(
    product_id: DbId, body: PriceIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: the price in a currency (replacing an earlier one in that currency)."""
    return queries.price_dict(service.add_price(session, product_id, _price_draft(body)))


@router.delete(
    "/products/{product_id}/prices/{price_id}",
    status_code=204,
    operation_id="remove_commerce_price",
)
def remove_price(product_id: DbId, price_id: DbId, session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: remove a price (an active product keeps one)."""
    service.remove_price(session, product_id, price_id)
    return Response(status_code=204)


Body = Annotated[IO[bytes], Depends(spooled_body(lambda: MAX_FILE_BYTES, "file"))]


@router.post(
    "/products/{product_id}/files",
    status_code=201,
    operation_id="upload_commerce_file",
    dependencies=[body_limit(MAX_FILE_BYTES + MIB)],  # the 413 below names the limit first
)
def upload_file(
    product_id: DbId,
    spool: Body,
    session: SessionDep,
    settings: SettingsDep,
    user: ApiOwner,
    name: Annotated[str, Query(max_length=400, description="The file name buyers download.")],
) -> dict[str, Any]:
    """Owner only: a file as the raw body; one of the same name is replaced."""
    row = service.store_file(session, settings.data_dir, product_id, name, chunks(spool))
    return {"id": row.id, "name": row.name, "size_bytes": row.size_bytes}


@router.delete(
    "/products/{product_id}/files/{file_id}", status_code=204, operation_id="remove_commerce_file"
)
def remove_file(
    product_id: DbId, file_id: DbId, session: SessionDep, settings: SettingsDep, user: ApiOwner
) -> Response:
    """Owner only: remove a file from the product and the data folder."""
    service.remove_file(session, settings.data_dir, product_id, file_id)
    return Response(status_code=204)
