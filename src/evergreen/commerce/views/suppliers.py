"""/commerce/suppliers: drop-ship suppliers (list, add with the secret shown once, edit), the
supplier orders queue (filters: status, supplier), tracking recorded per order (the buyer's
shipped mail once), and the CSV export marked sent after a confirmation. Staff read; the owner
writes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.fulfilment import METHODS, SUPPLIER_ORDER_STATUSES
from evergreen.commerce.service import forwarding, rates, suppliers, tracking
from evergreen.commerce.views.products import Done, FormStr
from evergreen.db import utcnow
from evergreen.digits import row_id
from evergreen.errors import InputError
from evergreen.mail.transactional import deliver_async
from evergreen.siteurl import site_url
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import (
    DashboardUser,
    DbId,
    DbIdQuery,
    OwnerUser,
    PageNumber,
    SessionDep,
    SettingsDep,
)
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router", "show_suppliers"]

router = APIRouter(prefix="/commerce/suppliers", include_in_schema=False)
_FIELDS = ("name", "email", "method", "webhook_url", "currency")
_DONE = {"saved": "Supplier saved.", "tracking": "Tracking recorded.", "sent": "Marked sent.",
         "rate": "Exchange rate saved.", "rate-removed": "Exchange rate removed."}  # fmt: skip


def show_suppliers(
    request: Request,
    session: Session,
    *,
    form: dict[str, str] | None = None,
    error: InputError | None = None,
    secret: str = "",
    done: str = "",
    rate_form: dict[str, str] | None = None,
    rate_error: InputError | None = None,
) -> Response:
    """The suppliers page (and the exchange rates table), with a form's problem if any."""
    context: dict[str, Any] = {
        "title": "Suppliers", "suppliers": suppliers.list_suppliers(session),
        "form": form or {**dict.fromkeys(_FIELDS, ""), "method": "email"}, "methods": METHODS,
        "error": error, "secret": secret, "done": _DONE.get(done, ""),
        "rates": rates.list_rates(session), "rate_error": rate_error,
        "rate_form": rate_form or {"base": "", "quote": "", "rate": ""},
    }  # fmt: skip
    error = error or rate_error
    return render(request, "commerce/suppliers.html", context, status_code=400 if error else 200)


@router.get("")
def suppliers_page(
    request: Request, session: SessionDep, user: DashboardUser, done: Done = ""
) -> Response:
    """Every supplier and the form to add one."""
    return show_suppliers(request, session, done=done)


@router.post("")
def add_supplier(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    name: FormStr = "",
    email: FormStr = "",
    method: FormStr = "",
    webhook_url: FormStr = "",
    currency: FormStr = "",
) -> Response:
    """Owner only: add a supplier; the page shows its secret this once."""
    entered = dict(zip(_FIELDS, (name, email, method, webhook_url, currency), strict=True))
    form.on_error(lambda error: show_suppliers(request, session, form=entered, error=error))
    _row, secret = suppliers.add_supplier(session, name, email, method, webhook_url, currency)
    return show_suppliers(request, session, secret=secret, done="saved")


def _edit(
    request: Request, session: Session, supplier_id: int, error: InputError | None = None
) -> Response:
    row = suppliers.get_supplier(session, supplier_id)
    form = {key: str(getattr(row, key)) for key in _FIELDS}
    context = {"title": f"Supplier {row.name}", "supplier": row, "form": form,
               "methods": METHODS, "error": error}  # fmt: skip
    return render(request, "commerce/supplier.html", context, status_code=400 if error else 200)


@router.get("/{supplier_id:int}")
def supplier_page(
    request: Request, supplier_id: DbId, session: SessionDep, user: DashboardUser
) -> Response:
    """One supplier's settings, and where its tracking webhook is."""
    return _edit(request, session, supplier_id)


@router.post("/{supplier_id:int}")
def update_supplier(
    request: Request,
    supplier_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    name: FormStr = "",
    email: FormStr = "",
    method: FormStr = "",
    webhook_url: FormStr = "",
    currency: FormStr = "",
) -> Response:
    """Owner only: save a supplier's settings."""
    form.on_error(lambda error: _edit(request, session, supplier_id, error))
    suppliers.update_supplier(session, supplier_id, name, email, method, webhook_url, currency)
    return RedirectResponse("/commerce/suppliers?done=saved", status_code=303)


def _queue(
    request: Request,
    session: Session,
    status: str,
    supplier_id: int | None,
    page: int,
    *,
    error: InputError | None = None,
    done: str = "",
) -> Response:
    chosen = status if status in SUPPLIER_ORDER_STATUSES else ""
    rows, total = suppliers.list_supplier_orders(
        session, status=chosen or None, supplier_id=supplier_id, page=page
    )
    _text, unsent = forwarding.export_csv(session)
    context: dict[str, Any] = {
        "title": "Supplier orders", "rows": rows, "total": total, "page": page,
        "pages": max(1, -(-total // suppliers.ORDERS_PAGE)), "status": chosen,
        "statuses": SUPPLIER_ORDER_STATUSES, "supplier_id": supplier_id,
        "suppliers": suppliers.list_suppliers(session), "unsent": unsent,
        "error": error, "done": _DONE.get(done, ""),
    }  # fmt: skip
    code = 400 if error else 200
    return render(request, "commerce/supplier_orders.html", context, status_code=code)


@router.get("/orders")
def orders_page(
    request: Request,
    session: SessionDep,
    user: DashboardUser,
    status: Annotated[str, Query(max_length=10)] = "",
    supplier_id: DbIdQuery = None,
    page: PageNumber = 1,
    done: Done = "",
) -> Response:
    """The supplier orders queue, newest first, by status and supplier."""
    return _queue(request, session, status, supplier_id, page, done=done)


@router.post("/orders/{supplier_order_id:int}/tracking")
def record_tracking(
    request: Request,
    supplier_order_id: DbId,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    tracking_number: FormStr = "",
    carrier: FormStr = "",
    tracking_url: FormStr = "",
) -> Response:
    """Owner only: record tracking; the buyer is mailed the first time."""
    form.on_error(lambda error: _queue(request, session, "", None, 1, error=error))
    done = tracking.record_tracking(
        session, supplier_order_id, tracking_number, carrier, tracking_url, utcnow()
    )
    if done.newly_shipped:
        secret = request.app.state.secret
        message = forwarding.shipped_mail(session, done.row.id, secret, site_url(request))
        background.add_task(deliver_async, settings, message, "shipped")
    return RedirectResponse("/commerce/suppliers/orders?done=tracking", status_code=303)


@router.get("/orders/export.csv")
def export(session: SessionDep, user: OwnerUser) -> Response:
    """Owner only: the unsent orders of CSV suppliers in one CSV (nothing is marked yet)."""
    text, _ids = forwarding.export_csv(session)
    return Response(
        text, media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="supplier-orders.csv"'},
    )  # fmt: skip


def _ids(text: str) -> list[int]:
    ids = [row_id(p) for p in text.split(",") if p.strip()]
    if not ids or None in ids:
        raise CommerceInputError("ids", "no supplier orders to mark: download the CSV first")
    return [i for i in ids[:10_000] if i is not None]


@router.post("/orders/mark-sent")
def mark_sent(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    ids: FormStr = "",
    confirm: FormStr = "",
) -> Response:
    """Owner only: once confirmed, the exported orders are marked sent to their suppliers."""
    form.on_error(lambda error: _queue(request, session, "", None, 1, error=error))
    chosen = _ids(ids)
    step = Confirmation(
        title=f"Mark {len(chosen)} supplier orders sent?",
        consequence="Do this once the supplier has the CSV: these orders leave the export and "
        "wait for tracking.",
        button="Mark sent",
        cancel="/commerce/suppliers/orders",
        fields={"ids": ids},
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    forwarding.mark_exported(session, chosen, utcnow())
    return RedirectResponse("/commerce/suppliers/orders?done=sent", status_code=303)
