"""The product page's delivery forms: its settings (download limit, link hours, license
activations), a grant by hand (comps, manual sales) and revoking one after a confirmation."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from evergreen.commerce import service
from evergreen.commerce.views.products import FormStr, show_product
from evergreen.errors import NotFound
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DbId, OwnerUser, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first

__all__ = ["router"]

router = APIRouter(prefix="/commerce/products", include_in_schema=False)


def _back(product_id: int, done: str) -> Response:
    return RedirectResponse(f"/commerce/products/{product_id}?done={done}#delivery", 303)


@router.post("/{product_id:int}/delivery")
def set_delivery(
    request: Request,
    product_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    download_limit: FormStr = "",
    link_hours: FormStr = "",
    license_activations: FormStr = "",
) -> Response:
    """Owner only: downloads per grant, link hours and license activations (empty: none)."""
    service.get_product(session, product_id)
    form.on_error(lambda error: show_product(request, session, product_id, error=error))
    service.set_delivery(session, product_id, download_limit, link_hours, license_activations)
    return _back(product_id, "delivery")


@router.post("/{product_id:int}/grants")
def add_grant(
    request: Request,
    product_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    email: FormStr = "",
    source: FormStr = "",
) -> Response:
    """Owner only: grant the product by hand (a comp, a manual sale); once per source."""
    service.get_product(session, product_id)
    form.on_error(lambda error: show_product(request, session, product_id, error=error))
    origin = source.strip() or f"manual:{email.strip().lower()}"
    service.grant(session, product_id, email, origin)
    return _back(product_id, "granted")


@router.post("/{product_id:int}/grants/{grant_id:int}/revoke")
def revoke_grant(
    request: Request,
    product_id: DbId,
    grant_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    reason: FormStr = "",
    confirm: FormStr = "",
) -> Response:
    """Owner only: revoke one grant (its links and license key stop working), once confirmed."""
    row = service.get_grant(session, grant_id)
    if row.product_id != product_id:
        raise NotFound("grant_id", f"no grant {grant_id} on product {product_id}")
    step = Confirmation(
        title=f"Revoke {row.email}'s access?",
        consequence="Their download links stop working and their license key is disabled. "
        "Granting again needs a new source.",
        button="Revoke access",
        cancel=f"/commerce/products/{product_id}#delivery",
        fields={"reason": reason},
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    form.on_error(lambda error: show_product(request, session, product_id, error=error))
    service.revoke_grant(session, grant_id, reason)
    return _back(product_id, "revoked")
