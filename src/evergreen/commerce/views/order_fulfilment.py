"""The owner acting on an order's fulfilment from its page: send a supplier order (or its
cancel request) to the supplier again, after a confirmation, and enter tracking by hand (the
buyer's shipped mail once). Owner only."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.rules.fulfilment import check_resend
from evergreen.commerce.service import forwarding, suppliers, tracking
from evergreen.commerce.views.orders import show_order
from evergreen.commerce.views.products import FormStr
from evergreen.db import utcnow
from evergreen.errors import NotFound
from evergreen.mail.transactional import deliver_async
from evergreen.siteurl import site_url
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DbId, OwnerUser, SessionDep, SettingsDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first

__all__ = ["router"]

router = APIRouter(prefix="/commerce/orders", include_in_schema=False)


def _of_order(session: Session, order_id: int, supplier_order_id: int) -> None:
    """Refuse a supplier order of another order (the page's links name both)."""
    row = suppliers.get_supplier_order(session, supplier_order_id)
    if row.order_id != order_id:
        raise NotFound("supplier_order", "no such supplier order in this order")


@router.post("/{order_id:int}/supplier-orders/{supplier_order_id:int}/resend")
def resend(
    request: Request,
    order_id: DbId,
    supplier_order_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    confirm: FormStr = "",
) -> Response:
    """Owner only: once confirmed, the supplier is sent the order (or the cancel request)
    again: now by email or webhook, in the next CSV for a CSV supplier."""
    form.on_error(lambda error: show_order(request, session, order_id, error=error))
    _of_order(session, order_id, supplier_order_id)
    row = suppliers.get_supplier_order(session, supplier_order_id)
    supplier = suppliers.get_supplier(session, row.supplier_id)
    what = "cancel request" if check_resend(row.status) == "cancel" else "order"
    step = Confirmation(
        title=f"Send the {what} to {supplier.name} again?",
        consequence=f"{supplier.name} receives it a second time ({supplier.method}); use this "
        "when they say it never arrived, so that nothing ships twice by mistake.",
        button="Send again",
        cancel=f"/commerce/orders/{order_id}#fulfilment",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    service.resend_supplier_order(session, supplier_order_id, utcnow())
    return RedirectResponse(f"/commerce/orders/{order_id}?done=resent", status_code=303)


@router.post("/{order_id:int}/supplier-orders/{supplier_order_id:int}/tracking")
def record_tracking(
    request: Request,
    order_id: DbId,
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
    """Owner only: tracking typed by hand; the buyer is mailed the first time."""
    form.on_error(lambda error: show_order(request, session, order_id, error=error))
    _of_order(session, order_id, supplier_order_id)
    done = tracking.record_tracking(
        session, supplier_order_id, tracking_number, carrier, tracking_url, utcnow()
    )
    if done.newly_shipped:
        secret = request.app.state.secret
        message = forwarding.shipped_mail(session, done.row.id, secret, site_url(request))
        background.add_task(deliver_async, settings, message, "shipped")
    return RedirectResponse(f"/commerce/orders/{order_id}?done=tracking", status_code=303)
