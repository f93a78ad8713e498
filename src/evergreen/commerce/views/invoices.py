"""Invoices and credit notes as PDF downloads: the signed-in buyer's own orders (/account: the
signed buyer cookie decides, another order's number is not found), the buyer's signed order
link (the token authorises), and the owner's order page (the invoice for signed-in staff; after
a refund, the credit note, a money document of the owner's alone)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.models import Order
from evergreen.commerce.rules.invoices import Document, filename
from evergreen.commerce.views.buyers import signed_in_buyer
from evergreen.config import Settings
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, Public, SessionDep, SettingsDep

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Number = Annotated[str, Path(max_length=40)]
Token = Annotated[str, Path(max_length=120)]


def _pdf(doc: Document) -> Response:
    """The PDF as a download with a safe name, kept out of shared caches."""
    return Response(
        service.invoices.render_pdf(doc),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename(doc.kind, doc.number)}"',
            "Cache-Control": "no-store, private",
            "Referrer-Policy": "no-referrer",
        },
    )


def _invoice(session: Session, settings: Settings, order: Order) -> Response:
    return _pdf(service.invoices.invoice_of(session, settings, order))


@router.get("/account/invoices/{number}.pdf", dependencies=[Public])
def buyer_invoice(
    request: Request, session: SessionDep, settings: SettingsDep, number: Number
) -> Response:
    """A signed-in buyer's invoice of one of their own orders (else not found)."""
    email = signed_in_buyer(request)
    if email is None:
        return RedirectResponse("/account", status_code=303)
    order = service.invoices.buyer_invoice_order(session, email, number)
    return _invoice(session, settings, order)


@router.get("/buy/order/{token}/invoice.pdf", dependencies=[Public])
def order_link_invoice(
    request: Request, session: SessionDep, settings: SettingsDep, token: Token
) -> Response:
    """The invoice from the buyer's signed order link (a changed link is not found)."""
    order = service.order_by_token(session, request.app.state.secret, token)
    return _invoice(session, settings, order)


@router.get("/commerce/orders/{order_id:int}/invoice.pdf")
def owner_invoice(
    order_id: DbId, session: SessionDep, settings: SettingsDep, user: DashboardUser
) -> Response:
    """The invoice of a paid order, from the owner's order page."""
    return _invoice(session, settings, service.get_order(session, order_id))


@router.get("/commerce/orders/{order_id:int}/credit-note.pdf")
def owner_credit_note(
    order_id: DbId, session: SessionDep, settings: SettingsDep, user: OwnerUser
) -> Response:
    """The credit note of what was refunded of an order: the owner's alone, as refunds are."""
    order = service.get_order(session, order_id)
    return _pdf(service.invoices.credit_note_of(session, settings, order))
