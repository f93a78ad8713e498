"""/commerce/services: done-for-you engagements (due and overdue first), one with the buyer's
intake answers and its tasks (added, ticked), "mark delivered" after a confirmation (the buyer's
mail once); and a product's fulfilment settings (/commerce/products/<id>/fulfilment: the
supplier of a physical product, the intake questions, tasks and delivery days of a service)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.accounts import service as accounts
from evergreen.commerce import service
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.fulfilment import ENGAGEMENT_STATUSES, is_overdue
from evergreen.commerce.service import engagements, suppliers
from evergreen.commerce.views.products import Done, FormStr
from evergreen.db import utcnow
from evergreen.digits import is_digits
from evergreen.errors import InputError
from evergreen.mail.transactional import deliver_async
from evergreen.siteurl import site_url
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep, SettingsDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_DONE = {"task": "Task added.", "ticked": "Task updated.", "delivered": "Marked delivered; "
         "the buyer is told.", "saved": "Fulfilment saved."}  # fmt: skip


@router.get("/commerce/services")
def services_page(
    request: Request,
    session: SessionDep,
    user: DashboardUser,
    status: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    """Engagements, the soonest due first, overdue ones marked."""
    chosen = status if status in ENGAGEMENT_STATUSES else ""
    rows = engagements.list_engagements(session, chosen or None)
    today = utcnow().date()
    context: dict[str, Any] = {
        "title": "Services", "rows": rows, "status": chosen, "statuses": ENGAGEMENT_STATUSES,
        "overdue": {r.id for r in rows if is_overdue(r.due_on, r.status, today)},
        "products": {p.id: p.name for p in (service.get_product(session, pid)
                                           for pid in {r.product_id for r in rows})},
    }  # fmt: skip
    return render(request, "commerce/services.html", context)


def _show(
    request: Request,
    session: Session,
    engagement_id: int,
    *,
    error: InputError | None = None,
    done: str = "",
) -> Response:
    row = engagements.get_engagement(session, engagement_id)
    people = [u for u in accounts.list_users(session) if u.role in ("owner", "staff")]
    context: dict[str, Any] = {
        "title": f"Engagement {row.id}", "row": row,
        "product": service.get_product(session, row.product_id),
        "order": service.get_order(session, row.order_id),
        "tasks": engagements.engagement_tasks(session, row.id),
        "people": {u.id: u.email for u in people},
        "overdue": is_overdue(row.due_on, row.status, utcnow().date()),
        "intake": list(zip(row.questions, row.answers or [""] * len(row.questions),
                           strict=False)),
        "error": error, "done": _DONE.get(done, ""),
    }  # fmt: skip
    return render(request, "commerce/service.html", context, status_code=400 if error else 200)


@router.get("/commerce/services/{engagement_id:int}")
def engagement_page(
    request: Request, engagement_id: DbId, session: SessionDep, user: DashboardUser, done: Done = ""
) -> Response:
    """One engagement: the buyer's answers, the tasks, delivery."""
    return _show(request, session, engagement_id, done=done)


def _number(field: str, text: str) -> int | None:
    value = text.strip()
    if not value:
        return None
    if not is_digits(value) or len(value) > 9:
        raise CommerceInputError(field, f"give a whole number, not {value[:20]!r}")
    return int(value)


@router.post("/commerce/services/{engagement_id:int}/tasks")
def add_task(
    request: Request,
    engagement_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    title: FormStr = "",
    assignee_id: FormStr = "",
) -> Response:
    """Owner only: add a task for the owner or a staff member."""
    form.on_error(lambda error: _show(request, session, engagement_id, error=error))
    engagements.add_task(session, engagement_id, title, _number("assignee_id", assignee_id))
    return RedirectResponse(f"/commerce/services/{engagement_id}?done=task", status_code=303)


@router.post("/commerce/services/tasks/{task_id:int}/tick")
def tick_task(
    request: Request,
    task_id: DbId,
    session: SessionDep,
    user: DashboardUser,
    _csrf: CsrfProtected,
    done: FormStr = "",
) -> Response:
    """Tick a task off (done=yes) or back on."""
    task = engagements.tick_task(session, task_id, done == "yes", utcnow())
    return RedirectResponse(f"/commerce/services/{task.engagement_id}?done=ticked", status_code=303)


@router.post("/commerce/services/{engagement_id:int}/deliver")
def deliver(
    request: Request,
    engagement_id: DbId,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    user: OwnerUser,
    _csrf: CsrfProtected,
    confirm: FormStr = "",
) -> Response:
    """Owner only: once confirmed, the service is delivered and the buyer mailed (once)."""
    row = engagements.get_engagement(session, engagement_id)
    step = Confirmation(
        title=f"Mark the service for {row.buyer_email} delivered?",
        consequence="The buyer gets an email saying it is delivered. This cannot be undone.",
        button="Mark delivered",
        cancel=f"/commerce/services/{engagement_id}",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    if engagements.mark_delivered(session, engagement_id, utcnow()).newly:
        message = engagements.delivered_mail(
            session, engagement_id, request.app.state.secret, site_url(request)
        )
        background.add_task(deliver_async, settings, message, "service delivered")
    return RedirectResponse(f"/commerce/services/{engagement_id}?done=delivered", 303)


def _fulfilment(
    request: Request, session: Session, product_id: int, error: InputError | None = None
) -> Response:
    product = service.get_product(session, product_id)
    settings = suppliers.fulfilment_of(session, product_id)
    context: dict[str, Any] = {
        "title": f"Fulfilment of {product.name}", "product": product, "settings": settings,
        "suppliers": suppliers.list_suppliers(session), "error": error,
    }  # fmt: skip
    code = 400 if error else 200
    return render(request, "commerce/product_fulfilment.html", context, status_code=code)


@router.get("/commerce/products/{product_id:int}/fulfilment")
def fulfilment_page(
    request: Request, product_id: DbId, session: SessionDep, user: DashboardUser
) -> Response:
    """A product's supplier (physical) or intake questions, tasks and delivery days (service)."""
    return _fulfilment(request, session, product_id)


@router.post("/commerce/products/{product_id:int}/fulfilment")
def save_fulfilment(
    request: Request,
    product_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    supplier_id: FormStr = "",
    intake_questions: FormStr = "",
    tasks: FormStr = "",
    delivery_days: FormStr = "",
) -> Response:
    """Owner only: save the product's fulfilment settings."""
    form.on_error(lambda error: _fulfilment(request, session, product_id, error))
    product = service.get_product(session, product_id)
    if product.kind == "physical":
        suppliers.set_product_supplier(session, product_id, _number("supplier_id", supplier_id))
    else:
        engagements.set_service(session, product_id, intake_questions, tasks, delivery_days)
    return RedirectResponse(f"/commerce/products/{product_id}?done=saved", status_code=303)
