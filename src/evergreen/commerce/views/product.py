"""The forms of one product's page: prices, files (multipart upload), supplier, bundle items
and status; removals, pausing and archiving after a confirmation. Owner writes."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from evergreen.commerce import service
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.products import MAX_FILE_BYTES, rule_of
from evergreen.commerce.views.products import FormStr, show_product
from evergreen.digits import is_digits, row_id
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DbId, OwnerUser, SessionDep, SettingsDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.gate import body_limit
from evergreen.web.uploads import PostedForm, chunks, length_gate

__all__ = ["router"]

router = APIRouter(prefix="/commerce/products", include_in_schema=False)
_SLACK = 1024 * 1024  # the multipart envelope around the file
_LINE = re.compile(r"^\s*([^=:\s]+)\s*[=:]\s*(\S+)\s*$")


def _back(product_id: int, done: str, anchor: str) -> Response:
    return RedirectResponse(f"/commerce/products/{product_id}?done={done}#{anchor}", 303)


def _whole(field: str, text: str) -> int | None:
    value = text.strip()
    if not value:
        return None
    if not is_digits(value) or len(value) > 6:
        raise CommerceInputError(field, f"give a whole number, not {value[:20]!r}")
    return int(value)


@router.post("/{product_id:int}/prices")
def add_price(
    request: Request,
    product_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    currency: FormStr = "",
    amount: FormStr = "",
    compare_at: FormStr = "",
    interval: FormStr = "",
    trial_days: FormStr = "",
) -> Response:
    """Owner only: the price in a currency (replacing one in that currency)."""
    service.get_product(session, product_id)
    form.on_error(lambda error: show_product(request, session, product_id, error=error))
    draft = service.PriceDraft(
        currency,
        amount,
        compare_at or None,
        interval or None,
        _whole("trial_days", trial_days) or 0,
    )
    service.add_price(session, product_id, draft)
    return _back(product_id, "price", "prices")


@router.post("/{product_id:int}/prices/{price_id:int}/remove")
def remove_price(
    request: Request,
    product_id: DbId,
    price_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    confirm: FormStr = "",
) -> Response:
    """Owner only: remove a price once confirmed."""
    row = service.get_product(session, product_id)
    step = Confirmation(
        title=f"Remove this price of {row.name}?",
        consequence="Buyers can no longer pay in its currency; add it again to restore it.",
        button="Remove price",
        cancel=f"/commerce/products/{product_id}",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    form.on_error(lambda error: show_product(request, session, product_id, error=error))
    service.remove_price(session, product_id, price_id)
    return _back(product_id, "price-removed", "prices")


_TOO_LARGE = f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB."
SizeGate = Annotated[None, length_gate(MAX_FILE_BYTES + _SLACK, _TOO_LARGE)]


@router.post("/{product_id:int}/files", dependencies=[body_limit(MAX_FILE_BYTES + _SLACK)])
def upload_file(
    request: Request,
    product_id: DbId,
    session: SessionDep,
    settings: SettingsDep,
    user: OwnerUser,
    _gate: SizeGate,
    _csrf: CsrfProtected,
    form: FormPageDep,
    posted: PostedForm,
) -> Response:
    """Owner only: upload a file the product delivers (a file of that name is replaced)."""
    service.get_product(session, product_id)
    form.on_error(lambda error: show_product(request, session, product_id, error=error))
    upload = posted.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise CommerceInputError("file", "choose a file to upload")
    service.store_file(session, settings.data_dir, product_id, upload.filename, chunks(upload.file))
    return _back(product_id, "file", "files")


@router.post("/{product_id:int}/files/{file_id:int}/remove")
def remove_file(
    request: Request,
    product_id: DbId,
    file_id: DbId,
    session: SessionDep,
    settings: SettingsDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    confirm: FormStr = "",
) -> Response:
    """Owner only: remove a file once confirmed."""
    row = service.get_product(session, product_id)
    step = Confirmation(
        title=f"Remove this file from {row.name}?",
        consequence="The file is deleted from the server; this cannot be undone.",
        button="Remove file",
        cancel=f"/commerce/products/{product_id}",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    service.remove_file(session, settings.data_dir, product_id, file_id)
    return _back(product_id, "file-removed", "files")


def _shipping(text: str) -> dict[str, str]:
    """Shipping as typed: one `ZONE: amount` a line (or separated by commas)."""
    found: dict[str, str] = {}
    for part in re.split(r"[\n,;]+", text):
        if not part.strip():
            continue
        match = _LINE.match(part)
        if match is None:
            raise CommerceInputError("shipping", f"{part.strip()[:40]!r} is not like US: 4.50")
        found[match.group(1)] = match.group(2)
    return found


@router.post("/{product_id:int}/supplier")
def set_supplier(
    request: Request,
    product_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    supplier_name: FormStr = "",
    supplier_sku: FormStr = "",
    supplier_currency: FormStr = "",
    supplier_cost: FormStr = "",
    shipping: FormStr = "",
    processing_days: FormStr = "",
) -> Response:
    """Owner only: a physical product's supplier, cost and shipping per zone."""
    service.get_product(session, product_id)
    form.on_error(lambda error: show_product(request, session, product_id, error=error))
    draft = service.SupplierDraft(
        supplier_name, supplier_sku, supplier_currency, supplier_cost, _shipping(shipping),
        _whole("processing_days", processing_days),
    )  # fmt: skip
    service.set_supplier(session, product_id, draft)
    return _back(product_id, "supplier", "supplier")


@router.post("/{product_id:int}/family")
def set_family(
    request: Request,
    product_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    plan_family: FormStr = "",
) -> Response:
    """Owner only: the plan family a subscription product belongs to (empty: none)."""
    service.get_product(session, product_id)
    form.on_error(lambda error: show_product(request, session, product_id, error=error))
    service.subscriptions.set_plan_family(session, product_id, plan_family)
    return _back(product_id, "family", "family")


@router.post("/{product_id:int}/bundle")
def set_bundle(
    request: Request,
    product_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    posted: PostedForm,
) -> Response:
    """Owner only: the products a bundle holds (ticked boxes) and how many of each."""
    service.get_product(session, product_id)
    form.on_error(lambda error: show_product(request, session, product_id, error=error))
    chosen = [
        number
        for value in posted.getlist("product_id")
        if isinstance(value, str) and (number := row_id(value)) is not None
    ]
    counts = {pid: _quantity(posted.get(f"quantity_{pid}")) for pid in chosen}
    service.set_bundle_items(session, product_id, chosen, counts)
    return _back(product_id, "bundle", "bundle")


def _quantity(value: object) -> int:
    """A bundle item's quantity as typed (empty: 1)."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return 1
    if not (is_digits(text) and len(text) <= 4):
        raise CommerceInputError("quantities", f"{text!r} is not a whole number like 2")
    return int(text)


@router.post("/{product_id:int}/status")
def set_status(
    request: Request,
    product_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    status: FormStr = "",
    reason: FormStr = "",
    confirm: FormStr = "",
) -> Response:
    """Owner only: change the status; pausing or archiving is confirmed first."""
    row = service.get_product(session, product_id)
    if status in ("paused", "archived"):
        step = Confirmation(
            title=f"{'Pause' if status == 'paused' else 'Archive'} {row.name}?",
            consequence="Buyers can no longer buy it until you make it active again.",
            button="Pause product" if status == "paused" else "Archive product",
            cancel=f"/commerce/products/{product_id}",
            fields={"status": status, "reason": reason},
        )
        if (asked := ask_first(request, confirm, step)) is not None:
            return asked
    form.on_error(lambda error: show_product(request, session, product_id, error=error))
    service.set_status(session, product_id, status, reason)
    return _back(product_id, "status", "status")


@router.post("/{product_id:int}/price-from-rule")
def price_from_rule(
    request: Request,
    product_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    currency: FormStr = "",
    multiplier: FormStr = "",
    margin: FormStr = "",
    ending: FormStr = "",
    zone: FormStr = "",
) -> Response:
    """Owner only: price a physical product from one rule (x a multiplier or + a margin)."""
    service.get_product(session, product_id)
    form.on_error(lambda error: show_product(request, session, product_id, error=error))
    rule = rule_of(currency, [("0", None, multiplier or None, margin or None)], ending or None)
    service.price_from_rule(session, product_id, rule, zone or "*")
    return _back(product_id, "price", "supplier")
