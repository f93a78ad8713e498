"""/commerce: the products with the form to add one, and one product's page. Staff read; the
owner writes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.commerce import queries, service
from evergreen.commerce.rules.products import KINDS, MAX_FILE_BYTES, from_cents
from evergreen.commerce.views import embed
from evergreen.errors import InputError
from evergreen.money import show_money
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["Done", "FormStr", "router", "show_product"]

router = APIRouter(prefix="/commerce", include_in_schema=False)
FormStr = Annotated[str, Form(max_length=60_000)]
Done = Annotated[str, Query(max_length=20)]
_DONE = {
    "created": "Product added.",
    "saved": "Product saved.",
    "price": "Price saved.",
    "price-removed": "Price removed.",
    "file": "File stored.",
    "file-removed": "File removed.",
    "supplier": "Supplier saved.",
    "bundle": "Bundle saved.",
    "delivery": "Delivery settings saved.",
    "granted": "Access granted.",
    "revoked": "Access revoked.",
    "status": "Status changed.",
    "bump": "Order bump saved.",
}
_BLANK = {"name": "", "kind": "digital", "description": "", "amount": "", "currency": "USD"}


def money(cents: int | None) -> str:
    """Whole cents as the pages show them."""
    return "" if cents is None else show_money(from_cents(cents))


def _list_page(
    request: Request,
    session: Session,
    *,
    form: dict[str, str] | None = None,
    error: InputError | None = None,
    done: str = "",
) -> Response:
    context: dict[str, Any] = {
        "title": "Products",
        "products": queries.list_products(session),
        "kinds": KINDS,
        "money": money,
        "form": form or dict(_BLANK),
        "error": error,
        "done": _DONE.get(done, ""),
    }
    return render(request, "commerce/list.html", context, status_code=400 if error else 200)


@router.get("")
def products_page(
    request: Request, session: SessionDep, user: DashboardUser, done: Done = ""
) -> Response:
    """Every product with its kind, status and prices, and the form to add one."""
    return _list_page(request, session, done=done)


@router.post("/products")
def add_product(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    name: FormStr = "",
    kind: FormStr = "",
    description: FormStr = "",
    amount: FormStr = "",
    currency: FormStr = "",
) -> Response:
    """Owner only: a new product (a draft) with its first price, or the form again."""
    entered = {
        "name": name, "kind": kind, "description": description, "amount": amount,
        "currency": currency,
    }  # fmt: skip
    form.on_error(lambda error: _list_page(request, session, form=entered, error=error))
    row = service.add_product(session, service.ProductDraft(name, kind, description))
    if amount.strip():
        service.add_price(session, row.id, service.PriceDraft(currency, amount))
    return RedirectResponse(f"/commerce/products/{row.id}?done=created", status_code=303)


def show_product(
    request: Request,
    session: Session,
    product_id: int,
    *,
    error: InputError | None = None,
    done: str = "",
) -> Response:
    """One product's page; a refused form's error shown on it."""
    service.get_product(session, product_id)
    card = queries.product_card(session, product_id)
    assert card is not None
    context: dict[str, Any] = {
        "title": card.product.name,
        "card": card,
        "row": card.product,
        "money": money,
        "choices": [c for c in queries.product_choices(session) if c[0] != product_id],
        "max_file_mb": MAX_FILE_BYTES // (1024 * 1024),
        "error": error,
        "done": _DONE.get(done, ""),
        "grants": service.with_licenses(session, service.grants_of_product(session, product_id)),
        "buy_snippet": embed.snippet(request, card.product, card.prices),
    }
    return render(request, "commerce/product.html", context, status_code=400 if error else 200)


@router.get("/products/{product_id:int}")
def product_page(
    request: Request, product_id: DbId, session: SessionDep, user: DashboardUser, done: Done = ""
) -> Response:
    """One product: its prices, files, supplier and margins, bundle items and status."""
    return show_product(request, session, product_id, done=done)


@router.post("/products/{product_id:int}")
def save_product(
    request: Request,
    product_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    name: FormStr = "",
    description: FormStr = "",
) -> Response:
    """Owner only: rename or describe the product."""
    service.get_product(session, product_id)
    form.on_error(lambda error: show_product(request, session, product_id, error=error))
    service.update_product(session, product_id, name=name, description=description)
    return RedirectResponse(f"/commerce/products/{product_id}?done=saved", status_code=303)
