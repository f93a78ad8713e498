"""/audience and /audience/lists/{id}: the lists with their counts, one list's members,
its settings, deletion after a confirmation step, and its CSV export."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.audience import queries, service
from evergreen.audience.errors import AudienceInputError
from evergreen.audience.models import AudienceList
from evergreen.audience.views.parts import STATUSES, FormStr
from evergreen.errors import InputError
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, PageNumber, SessionDep
from evergreen.web.downloads import csv_download
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/audience", include_in_schema=False)
Done = Annotated[str, Query(max_length=20)]
PER_PAGE = 50
_OPT_INS = {"double": True, "single": False}
_DONE = {
    "created": "List created.",
    "saved": "List saved.",
    "deleted": "List deleted; its people and their consent history stay.",
}


def _opt_in(value: str) -> bool:
    if value not in _OPT_INS:
        raise AudienceInputError("double_opt_in", "choose double or single opt-in")
    return _OPT_INS[value]


def _lists_page(
    request: Request,
    session: Session,
    *,
    form: dict[str, str] | None = None,
    error: InputError | None = None,
    done: str = "",
) -> Response:
    lists = queries.list_counts(session)
    context: dict[str, Any] = {
        "title": "Audience",
        "lists": lists,
        "statuses": STATUSES,
        "form": form or {"name": "", "description": "", "double_opt_in": "double"},
        "error": error,
        "done": _DONE.get(done, ""),
    }
    return render(request, "audience/lists.html", context, status_code=400 if error else 200)


@router.get("")
def lists_page(
    request: Request, session: SessionDep, user: DashboardUser, done: Done = ""
) -> Response:
    """Every list with its people counted by status, and the form to add one."""
    return _lists_page(request, session, done=done)


@router.post("/lists")
def create_list(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    name: FormStr = "",
    description: FormStr = "",
    double_opt_in: FormStr = "double",
) -> Response:
    """Owner only: a new list, or the form again with what to fix."""
    entered = {"name": name, "description": description, "double_opt_in": double_opt_in}
    form.on_error(lambda error: _lists_page(request, session, form=entered, error=error))
    row = service.create_list(
        session, name, double_opt_in=_opt_in(double_opt_in), description=description
    )
    return RedirectResponse(f"/audience/lists/{row.id}?done=created", status_code=303)


def _list_page(
    request: Request,
    session: Session,
    audience_list: AudienceList,
    *,
    page: int = 1,
    status: str = "",
    edit: dict[str, str] | None = None,
    error: InputError | None = None,
    done: str = "",
) -> Response:
    counts = next(row for row in queries.list_counts(session) if row.id == audience_list.id)
    members = queries.search(
        session, list_id=audience_list.id, status=status, page=page, per_page=PER_PAGE
    )
    context: dict[str, Any] = {
        "title": audience_list.name,
        "list": counts,
        "members": members,
        "status": status,
        "statuses": STATUSES,
        "edit": edit
        or {
            "name": audience_list.name,
            "description": audience_list.description,
            "double_opt_in": "double" if audience_list.double_opt_in else "single",
        },
        "editing": edit is not None,
        "error": error,
        "done": _DONE.get(done, ""),
    }
    return render(request, "audience/list.html", context, status_code=400 if error else 200)


@router.get("/lists/{list_id:int}")
def list_page(
    request: Request,
    list_id: DbId,
    session: SessionDep,
    user: DashboardUser,
    page: PageNumber = 1,
    status: Annotated[str, Query(max_length=20)] = "",
    done: Done = "",
) -> Response:
    """One list: its counts, its members a page at a time (filtered by status), its settings."""
    audience_list = service.get_list(session, list_id)
    if status and status not in STATUSES:
        error = AudienceInputError("status", f"must be one of {', '.join(STATUSES)}")
        return _list_page(request, session, audience_list, page=page, error=error)
    return _list_page(request, session, audience_list, page=page, status=status, done=done)


@router.post("/lists/{list_id:int}")
def save_list(
    request: Request,
    list_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    name: FormStr = "",
    description: FormStr = "",
    double_opt_in: FormStr = "double",
) -> Response:
    """Owner only: rename a list, describe it, or change its opt-in (members keep their status)."""
    audience_list = service.get_list(session, list_id)
    entered = {"name": name, "description": description, "double_opt_in": double_opt_in}
    form.on_error(
        lambda error: _list_page(
            request, session, service.get_list(session, list_id), edit=entered, error=error
        )
    )
    service.update_list(
        session,
        audience_list.id,
        name=name,
        description=description,
        double_opt_in=_opt_in(double_opt_in),
    )
    return RedirectResponse(f"/audience/lists/{list_id}?done=saved", status_code=303)


@router.post("/lists/{list_id:int}/delete")
def delete_list(
    request: Request,
    list_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    confirm: FormStr = "",
) -> Response:
    """Owner only: delete a list once confirmed; its people and their consent history stay."""
    service.get_list(session, list_id)
    counts = next(row for row in queries.list_counts(session) if row.id == list_id)
    step = Confirmation(
        title=f"Delete the list {counts.name}?",
        consequence=f"The list and its {counts.total:,} memberships are deleted: nobody is on "
        "it any more, and this cannot be undone. The people stay, with their other lists and "
        "their whole consent history (which keeps saying they were on this list).",
        button="Delete list",
        cancel=f"/audience/lists/{list_id}",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    service.delete_list(session, list_id)
    return RedirectResponse("/audience?done=deleted", status_code=303)


@router.get("/lists/{list_id:int}/export.csv")
def export_list(list_id: DbId, session: SessionDep, user: OwnerUser) -> Response:
    """Owner only: the list as CSV in Evergreen's format, which the import reads back."""
    service.get_list(session, list_id)
    return csv_download(
        f"list-{list_id}.csv", lambda out: service.export_csv(session, out, list_id)
    )
