"""/commerce/coupons: discount codes added and removed (after a confirmation), and a product's
order bump, set on its page. Staff read; the owner writes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.commerce import queries, service
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.views.products import Done, FormStr, show_product
from evergreen.digits import is_digits
from evergreen.errors import InputError
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_DONE = {"added": "Coupon added.", "removed": "Coupon removed."}
_FIELDS = (
    "code", "percent_off", "amount_off", "currency", "product_id", "expires_on", "max_uses",
    "duration", "duration_periods",
)  # fmt: skip


def _page(
    request: Request,
    session: Session,
    *,
    form: dict[str, str] | None = None,
    error: InputError | None = None,
    done: str = "",
) -> Response:
    context: dict[str, Any] = {
        "title": "Coupons",
        "coupons": [queries.coupon_dict(row) for row in service.list_coupons(session)],
        "products": dict(queries.product_choices(session)),
        "form": form or dict.fromkeys(_FIELDS, ""),
        "error": error,
        "done": _DONE.get(done, ""),
    }
    return render(request, "commerce/coupons.html", context, status_code=400 if error else 200)


@router.get("/commerce/coupons")
def coupons_page(
    request: Request, session: SessionDep, user: DashboardUser, done: Done = ""
) -> Response:
    """Every coupon and the form to add one."""
    return _page(request, session, done=done)


def _number(field: str, text: str) -> int | None:
    value = text.strip()
    if not value:
        return None
    if not is_digits(value) or len(value) > 9:
        raise CommerceInputError(field, f"give a whole number, not {value[:20]!r}")
    return int(value)


def _day_end(text: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d")
    except ValueError:
        raise CommerceInputError("expires_on", "give a date like 2027-01-31") from None
    return day.replace(hour=23, minute=59, second=59, tzinfo=UTC)


@router.post("/commerce/coupons")
def add_coupon(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    code: FormStr = "",
    percent_off: FormStr = "",
    amount_off: FormStr = "",
    currency: FormStr = "",
    product_id: FormStr = "",
    expires_on: FormStr = "",
    max_uses: FormStr = "",
    duration: FormStr = "once",
    duration_periods: FormStr = "",
) -> Response:
    """Owner only: a coupon, or the form again with what to fix."""
    entered = dict(zip(_FIELDS, (code, percent_off, amount_off, currency, product_id,
                                 expires_on, max_uses, duration, duration_periods),
                           strict=True))  # fmt: skip
    form.on_error(lambda error: _page(request, session, form=entered, error=error))
    draft = service.CouponDraft(
        code, percent_off or None, amount_off or None, currency or None,
        _number("product_id", product_id), _day_end(expires_on), _number("max_uses", max_uses),
        duration, _number("duration_periods", duration_periods),
    )  # fmt: skip
    service.add_coupon(session, draft)
    return RedirectResponse("/commerce/coupons?done=added", status_code=303)


@router.post("/commerce/coupons/{coupon_id:int}/remove")
def remove_coupon(
    request: Request,
    coupon_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    confirm: FormStr = "",
) -> Response:
    """Owner only: remove a coupon once confirmed."""
    step = Confirmation(
        title="Remove this coupon?",
        consequence="Buyers can no longer use it; orders keep the code they were bought with.",
        button="Remove coupon",
        cancel="/commerce/coupons",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    service.remove_coupon(session, coupon_id)
    return RedirectResponse("/commerce/coupons?done=removed", status_code=303)


@router.post("/commerce/products/{product_id:int}/bump")
def set_bump(
    request: Request,
    product_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    bump_product_id: FormStr = "",
    bump_headline: FormStr = "",
) -> Response:
    """Owner only: the order bump offered on this product's checkout page (empty: none)."""
    form.on_error(lambda error: show_product(request, session, product_id, error=error))
    bump = _number("bump_product_id", bump_product_id)
    service.set_bump(session, product_id, bump, bump_headline)
    return RedirectResponse(f"/commerce/products/{product_id}?done=bump#checkout", 303)
