"""Borrowers and properties: lists for staff, add and edit forms for the owner."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.errors import InputError
from evergreen.lending import queries, service
from evergreen.lending.views.common import PREFIX, TextFields, money
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)
_BORROWER = ("name", "kind", "email", "phone", "notes")
_PROPERTY = ("address", "purchase_price", "rehab_budget", "arv")


def _borrower_draft(form: dict[str, str]) -> service.BorrowerDraft:
    return service.BorrowerDraft(*(form.get(n, "") for n in _BORROWER))


def _property_draft(form: dict[str, str]) -> service.PropertyDraft:
    return service.PropertyDraft(*(form.get(n, "") for n in _PROPERTY))


def _borrowers(
    request: Request, session: Session, *, posted: dict[str, str] | None = None,
    error: InputError | None = None, done: str = "",
) -> Response:  # fmt: skip
    context: dict[str, Any] = {
        "title": "Borrowers", "rows": queries.borrower_rows(session), "money": money,
        "posted": posted or {}, "errors": {"borrower": error} if error else {}, "done": done,
    }  # fmt: skip
    return render(request, "lending/borrowers.html", context, status_code=400 if error else 200)


def _properties(
    request: Request, session: Session, *, posted: dict[str, str] | None = None,
    error: InputError | None = None, done: str = "",
) -> Response:  # fmt: skip
    context: dict[str, Any] = {
        "title": "Properties", "rows": service.properties(session), "money": money,
        "posted": posted or {}, "errors": {"property": error} if error else {}, "done": done,
    }  # fmt: skip
    return render(request, "lending/properties.html", context, status_code=400 if error else 200)


def _edit(
    request: Request, what: str, action: str, values: dict[str, Any], error: InputError | None
) -> Response:
    context: dict[str, Any] = {
        "title": f"Change {what}",
        "what": what,
        "action": action,
        "posted": values,
        "errors": {what: error} if error else {},
    }
    return render(request, "lending/edit.html", context, status_code=400 if error else 200)


@router.get("/borrowers")
def borrowers_page(
    request: Request, user: DashboardUser, session: SessionDep, done: str = ""
) -> Response:
    """Every borrower with their loans and what they owe."""
    return _borrowers(request, session, done="Saved." if done else "")


@router.post("/borrowers")
def add_borrower(
    request: Request, user: OwnerUser, _csrf: CsrfProtected, session: SessionDep,
    page: FormPageDep, form: TextFields,
) -> Response:  # fmt: skip
    """Owner only: add a borrower (names are unique)."""
    page.on_error(lambda error: _borrowers(request, session, posted=form, error=error))
    service.add_borrower(session, _borrower_draft(form))
    return RedirectResponse(f"{PREFIX}/borrowers?done=1", status_code=303)


@router.get("/borrowers/{borrower_id}/edit")
def edit_borrower_page(
    request: Request, user: OwnerUser, session: SessionDep, borrower_id: DbId
) -> Response:
    """Owner only: the form that changes a borrower."""
    row = service.get_borrower(session, borrower_id)
    values = {n: getattr(row, n) for n in _BORROWER}
    return _edit(request, "borrower", f"{PREFIX}/borrowers/{borrower_id}", values, None)


@router.post("/borrowers/{borrower_id}")
def save_borrower(
    request: Request, user: OwnerUser, _csrf: CsrfProtected, session: SessionDep,
    page: FormPageDep, form: TextFields, borrower_id: DbId,
) -> Response:  # fmt: skip
    """Owner only: change a borrower's name or contacts."""
    service.get_borrower(session, borrower_id)
    action = f"{PREFIX}/borrowers/{borrower_id}"
    page.on_error(lambda error: _edit(request, "borrower", action, form, error))
    service.update_borrower(session, borrower_id, _borrower_draft(form))
    return RedirectResponse(f"{PREFIX}/borrowers?done=1", status_code=303)


@router.get("/properties")
def properties_page(
    request: Request, user: DashboardUser, session: SessionDep, done: str = ""
) -> Response:
    """Every property with its price, rehab budget and after-repair value."""
    return _properties(request, session, done="Saved." if done else "")


@router.post("/properties")
def add_property(
    request: Request, user: OwnerUser, _csrf: CsrfProtected, session: SessionDep,
    page: FormPageDep, form: TextFields,
) -> Response:  # fmt: skip
    """Owner only: add a property to lend against."""
    page.on_error(lambda error: _properties(request, session, posted=form, error=error))
    service.add_property(session, _property_draft(form))
    return RedirectResponse(f"{PREFIX}/properties?done=1", status_code=303)


@router.get("/properties/{property_id}/edit")
def edit_property_page(
    request: Request, user: OwnerUser, session: SessionDep, property_id: DbId
) -> Response:
    """Owner only: the form that changes a property."""
    row = service.get_property(session, property_id)
    values = {n: "" if getattr(row, n) is None else str(getattr(row, n)) for n in _PROPERTY}
    return _edit(request, "property", f"{PREFIX}/properties/{property_id}", values, None)


@router.post("/properties/{property_id}")
def save_property(
    request: Request, user: OwnerUser, _csrf: CsrfProtected, session: SessionDep,
    page: FormPageDep, form: TextFields, property_id: DbId,
) -> Response:  # fmt: skip
    """Owner only: change a property's address or amounts."""
    service.get_property(session, property_id)
    action = f"{PREFIX}/properties/{property_id}"
    page.on_error(lambda error: _edit(request, "property", action, form, error))
    service.update_property(session, property_id, _property_draft(form))
    return RedirectResponse(f"{PREFIX}/properties?done=1", status_code=303)
