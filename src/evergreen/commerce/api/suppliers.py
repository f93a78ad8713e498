"""/api/v1/commerce suppliers: the owner's drop-ship suppliers (the secret is in the answer to
the create call only), which product ships from whom, the supplier orders queue, the CSV export
(marked sent by a second call), tracking recorded by the owner, and the suppliers' own signed
tracking webhook (public: the Evergreen-Signature made with the supplier's secret is the proof)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import Field

from evergreen.commerce.models import Supplier, SupplierOrder
from evergreen.commerce.rules.fulfilment import SUPPLIER_ORDER_STATUSES
from evergreen.commerce.service import cancellations, forwarding, suppliers, tracking
from evergreen.config import Settings
from evergreen.db import utcnow
from evergreen.mail.transactional import deliver_async
from evergreen.siteurl import site_url
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import (
    ApiOwner,
    ApiStaff,
    DbId,
    DbIdQuery,
    PageNumber,
    Public,
    SessionDep,
    SettingsDep,
)
from evergreen.web.gate import body_limit

__all__ = ["router", "supplier_dict", "supplier_order_dict"]

router = APIRouter(prefix="/commerce", tags=["commerce"])
MAX_TRACKING_BYTES = 16 * 1024
Status = Annotated[str | None, Query(max_length=10, description=", ".join(SUPPLIER_ORDER_STATUSES))]


class SupplierIn(RequestBody):
    """A supplier: how orders reach them (email, webhook or csv) and their currency."""

    name: str = Field(max_length=200)
    email: str = Field("", max_length=254)
    method: str = Field(max_length=10, description="email, webhook or csv")
    webhook_url: str = Field("", max_length=2000)
    currency: str = Field(max_length=3)


class ProductSupplierIn(RequestBody):
    """The supplier a physical product ships from (null: none)."""

    supplier_id: int | None = Field(None, ge=1, le=2**31 - 1)


class TrackingIn(RequestBody):
    """A shipment's tracking number, carrier and (optionally) tracking page."""

    tracking_number: str = Field(max_length=100)
    carrier: str = Field(max_length=100)
    tracking_url: str = Field("", max_length=2000)


class MarkSentIn(RequestBody):
    """The supplier orders of an export the owner has handed over."""

    ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(max_length=10_000)


def supplier_dict(row: Supplier) -> dict[str, Any]:
    """A supplier as the API shows it (never its secret)."""
    return {"id": row.id, "name": row.name, "email": row.email, "method": row.method,
            "webhook_url": row.webhook_url, "currency": row.currency}  # fmt: skip


def supplier_order_dict(row: SupplierOrder, supplier: str = "", number: str = "") -> dict[str, Any]:
    """A supplier order with its lines, address, status and tracking."""
    when = {k: (v.isoformat() if v else None) for k, v in
            (("sent_at", row.sent_at), ("shipped_at", row.shipped_at))}  # fmt: skip
    return {"id": row.id, "order_id": row.order_id, "order": number, "supplier_id": row.supplier_id,
            "supplier": supplier, "status": row.status, "lines": row.lines,
            "ship_to": row.ship_to, "attempts": row.attempts, "last_error": row.last_error,
            "tracking_number": row.tracking_number, "carrier": row.carrier,
            "tracking_url": row.tracking_url, **when}  # fmt: skip


@router.get("/suppliers", operation_id="list_commerce_suppliers")
def list_suppliers(session: SessionDep, user: ApiStaff) -> dict[str, Any]:
    """Every supplier by name."""
    return {"suppliers": [supplier_dict(row) for row in suppliers.list_suppliers(session)]}


@router.post("/suppliers", status_code=201, operation_id="add_commerce_supplier")
def add_supplier(body: SupplierIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: add a supplier; the answer carries its secret, shown this once."""
    row, secret = suppliers.add_supplier(
        session, body.name, body.email, body.method, body.webhook_url, body.currency
    )
    return {**supplier_dict(row), "secret": secret}


@router.put("/suppliers/{supplier_id}", operation_id="update_commerce_supplier")
def update_supplier(
    supplier_id: DbId, body: SupplierIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: change a supplier's settings (its secret stays)."""
    row = suppliers.update_supplier(
        session, supplier_id, body.name, body.email, body.method, body.webhook_url, body.currency
    )
    return supplier_dict(row)


@router.put(
    "/products/{product_id}/fulfilment-supplier", operation_id="set_commerce_product_supplier"
)
def set_product_supplier(
    product_id: DbId, body: ProductSupplierIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: the supplier a physical product ships from (null: none); its cost and
    shipping are PUT .../supplier."""
    product = suppliers.set_product_supplier(session, product_id, body.supplier_id)
    return {"product_id": product.id, "supplier_id": body.supplier_id,
            "supplier_name": product.supplier_name}  # fmt: skip


@router.get("/supplier-orders", operation_id="list_commerce_supplier_orders")
def list_supplier_orders(
    session: SessionDep,
    user: ApiStaff,
    status: Status = None,
    supplier_id: DbIdQuery = None,
    page: PageNumber = 1,
) -> dict[str, Any]:
    """Supplier orders newest first, by status and supplier, 50 a page."""
    rows, total = suppliers.list_supplier_orders(
        session, status=status, supplier_id=supplier_id, page=page
    )
    listed = [supplier_order_dict(row, s.name, o.number) for row, s, o in rows]
    return {"total": total, "page": page, "supplier_orders": listed}


@router.get(
    "/supplier-orders/export",
    operation_id="export_commerce_supplier_orders",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def export(session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: the unsent orders of CSV suppliers in one CSV; their ids are in the
    Evergreen-Supplier-Orders header, for mark-sent once the file is handed over."""
    text, ids = forwarding.export_csv(session)
    return Response(
        text, media_type="text/csv; charset=utf-8",
        headers={"Evergreen-Supplier-Orders": ",".join(map(str, ids)),
                 "Content-Disposition": 'attachment; filename="supplier-orders.csv"'},
    )  # fmt: skip


@router.post("/supplier-orders/mark-sent", operation_id="mark_commerce_supplier_orders_sent")
def mark_sent(body: MarkSentIn, session: SessionDep, user: ApiOwner) -> dict[str, int]:
    """Owner only: the exported orders reached the supplier (those still new become sent)."""
    return {"marked": forwarding.mark_exported(session, body.ids, utcnow())}


def _tracked(
    request: Request,
    settings: Settings,
    background: BackgroundTasks,
    session: SessionDep,
    done: tracking.Tracked,
) -> dict[str, Any]:
    if done.newly_shipped:  # the buyer's shipped mail, once, after the commit
        secret = request.app.state.secret
        message = forwarding.shipped_mail(session, done.row.id, secret, site_url(request))
        background.add_task(deliver_async, settings, message, "shipped")
    return {**supplier_order_dict(done.row), "newly_shipped": done.newly_shipped}


@router.post(
    "/supplier-orders/{supplier_order_id}/tracking", operation_id="record_commerce_tracking"
)
def record_tracking(
    supplier_order_id: DbId,
    body: TrackingIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    user: ApiOwner,
) -> dict[str, Any]:
    """Owner only: record tracking; the buyer gets the shipped mail the first time."""
    done = tracking.record_tracking(
        session, supplier_order_id, body.tracking_number, body.carrier, body.tracking_url,
        utcnow(),
    )  # fmt: skip
    return _tracked(request, settings, background, session, done)


@router.post(
    "/supplier-orders/{supplier_order_id}/resend", operation_id="resend_commerce_supplier_order"
)
def resend_supplier_order(
    supplier_order_id: DbId, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: send a supplier order again, or its cancel request (due now; a CSV
    supplier's goes in the next export); one already shipped or cancelled is refused."""
    return supplier_order_dict(cancellations.resend(session, supplier_order_id, utcnow()))


@router.post(
    "/suppliers/{supplier_id}/tracking",
    operation_id="supplier_tracking_webhook",
    dependencies=[Public, body_limit(MAX_TRACKING_BYTES)],
)
async def supplier_tracking(
    supplier_id: DbId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
) -> dict[str, Any]:
    """The supplier's tracking webhook: a JSON body {order, tracking_number, carrier,
    tracking_url} signed like Evergreen's webhooks (Evergreen-Signature: t=…,v1=…) with the
    supplier's secret; a replay answers the same and mails nobody again."""
    body = await request.body()
    signature = request.headers.get(forwarding.SIGNATURE_HEADER, "")[:2000]
    done = await run_in_threadpool(
        tracking.tracking_from_supplier, session, supplier_id, signature, body, utcnow()
    )
    return await run_in_threadpool(_tracked, request, settings, background, session, done)
