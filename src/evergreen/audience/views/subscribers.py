"""/audience/subscribers: search by address or name, filter by list, status and tag, a page
at a time; and /audience/subscribers/new, one person added to a list by hand."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from evergreen.audience import queries, service
from evergreen.audience.errors import AudienceInputError
from evergreen.audience.rules import Source, split_tags
from evergreen.audience.service import Consent
from evergreen.audience.views.parts import STATUSES, FormStr, list_id_of, status_of
from evergreen.audience.views.subscriber import subscriber_page
from evergreen.errors import InputError
from evergreen.siteurl import site_url
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, OwnerUser, PageNumber, SessionDep
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/audience/subscribers", include_in_schema=False)
PER_PAGE = 50
_DONE = {"erased": "Erased: everything about that person is gone."}


@router.get("")
def search_page(
    request: Request,
    session: SessionDep,
    user: DashboardUser,
    q: Annotated[str, Query(max_length=200)] = "",
    list_id: Annotated[str, Query(alias="list", max_length=30)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    tag: Annotated[str, Query(max_length=100)] = "",
    page: PageNumber = 1,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """People by address or name, list, status and tag; newest first, fifty to a page."""
    filters = {"q": q, "list": list_id, "status": status, "tag": tag}
    error: InputError | None = None
    found = None
    try:
        found = queries.search(
            session,
            text=q,
            list_id=list_id_of(list_id, "list"),
            status=status_of(status),
            tag=tag,
            page=page,
            per_page=PER_PAGE,
        )
    except InputError as exc:
        error = exc
    context: dict[str, Any] = {
        "title": "Subscribers",
        "found": found,
        "filters": filters,
        "lists": queries.list_counts(session),
        "statuses": STATUSES,
        "error": error,
        "done": _DONE.get(done, ""),
    }
    return render(request, "audience/subscribers.html", context, status_code=400 if error else 200)


def _new_page(
    request: Request,
    session: Session,
    *,
    form: dict[str, str] | None = None,
    error: InputError | None = None,
) -> Response:
    context: dict[str, Any] = {
        "title": "Add a subscriber",
        "lists": queries.list_counts(session),
        "form": form or {},
        "error": error,
    }
    return render(
        request, "audience/subscriber_new.html", context, status_code=400 if error else 200
    )


@router.get("/new")
def new_page(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    email: Annotated[str, Query(max_length=400)] = "",
    list_id: Annotated[str, Query(alias="list", max_length=30)] = "",
) -> Response:
    """Owner only: the form to add one person to a list."""
    return _new_page(request, session, form={"email": email, "list": list_id})


@router.post("/new")
def add_subscriber(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    email: FormStr = "",
    name: FormStr = "",
    list_id: FormStr = "",
    time_zone: FormStr = "",
    tags: FormStr = "",
    wording: FormStr = "",
) -> Response:
    """Owner only: add someone to a list with how they agreed (source manual); on a double
    opt-in list they stay unconfirmed, and the page shows the link that confirms them."""
    entered = {
        "email": email, "name": name, "list": list_id, "time_zone": time_zone, "tags": tags,
        "wording": wording,
    }  # fmt: skip
    form.on_error(lambda error: _new_page(request, session, form=entered, error=error))
    if len(wording) > 5000:
        raise AudienceInputError("wording", "is longer than 5,000 characters")
    chosen = list_id_of(list_id, "list", required=True)
    assert chosen is not None
    consent = Consent(Source.MANUAL, form=f"Added by {user.email}", wording=wording.strip())
    done = service.subscribe(
        session,
        request.app.state.secret,
        email,
        chosen,
        consent,
        name=name.strip() or None,
        tags=split_tags(tags),
        time_zone=time_zone,
    )
    link = service.confirm_url(site_url(request), done.token) if done.token else ""
    audience_list = service.get_list(session, chosen)
    note = (
        f"Added to {audience_list.name}: unconfirmed until they open the confirmation link."
        if done.token
        else f"Added to {audience_list.name}: {done.status.value}."
    )
    return subscriber_page(request, session, done.subscriber.id, note=note, confirm_link=link)
