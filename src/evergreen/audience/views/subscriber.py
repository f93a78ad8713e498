"""/audience/subscribers/{id}: one person's whole history (lists, tags, fields, time zone, the
consent ledger, activity) and what the owner can do: tags, name and time zone, fields,
unsubscribe from a list or all, the GDPR export, and erasing after a confirmation step."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.audience import queries, service
from evergreen.audience.errors import AudienceInputError
from evergreen.audience.rules import Source, split_tags
from evergreen.audience.service import Consent
from evergreen.audience.views.parts import FormStr, list_id_of
from evergreen.errors import InputError, NotFound
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router", "subscriber_page"]

router = APIRouter(prefix="/audience/subscribers", include_in_schema=False)
_DONE = {
    "tagged": "Tags saved.",
    "untagged": "Tag removed.",
    "saved": "Saved.",
    "field": "Field saved.",
    "unsubscribed": "Unsubscribed; the consent ledger records it.",
}
# What each consent action is called on the page.
ACTIONS = {
    "opt_in": "Opted in",
    "confirm": "Confirmed",
    "opt_out": "Opted out",
    "suppress": "Suppressed",
}


def subscriber_page(
    request: Request,
    session: Session,
    subscriber_id: int,
    *,
    error: InputError | None = None,
    form: dict[str, str] | None = None,
    note: str = "",
    confirm_link: str = "",
) -> Response:
    """The person's page, with a form's error or a note on what was just done."""
    card = queries.card(session, subscriber_id)
    history = queries.history(session, subscriber_id)
    if card is None or history is None:
        raise NotFound("subscriber_id", f"no subscriber {subscriber_id}")
    context: dict[str, Any] = {
        "title": card.email,
        "person": card,
        "history": history,
        "actions": ACTIONS,
        "form": form or {"name": card.name, "time_zone": card.time_zone or ""},
        "error": error,
        "note": note,
        "confirm_link": confirm_link,
    }
    return render(request, "audience/subscriber.html", context, status_code=400 if error else 200)


def _back(subscriber_id: int, done: str, anchor: str = "") -> Response:
    return RedirectResponse(
        f"/audience/subscribers/{subscriber_id}?done={done}{anchor}", status_code=303
    )


@router.get("/{subscriber_id:int}")
def person_page(
    request: Request,
    subscriber_id: DbId,
    session: SessionDep,
    user: DashboardUser,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """One person: status, lists, tags, fields, time zone, consent ledger and activity."""
    return subscriber_page(request, session, subscriber_id, note=_DONE.get(done, ""))


@router.post("/{subscriber_id:int}/tags")
def add_tags(
    request: Request,
    subscriber_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    tags: FormStr = "",
) -> Response:
    """Owner only: tag the person (several tags separated by commas)."""
    service.get_subscriber(session, subscriber_id)
    form.on_error(
        lambda error: subscriber_page(
            request, session, subscriber_id, error=error, form={"tags": tags}
        )
    )
    wanted = split_tags(tags)
    if not wanted:
        raise AudienceInputError("tags", "type a tag, or several separated by commas")
    service.add_tags(session, subscriber_id, wanted)
    return _back(subscriber_id, "tagged", "#tags")


@router.post("/{subscriber_id:int}/tags/remove")
def remove_tag(
    request: Request,
    subscriber_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    tag: FormStr = "",
) -> Response:
    """Owner only: take one tag off."""
    service.get_subscriber(session, subscriber_id)
    form.on_error(lambda error: subscriber_page(request, session, subscriber_id, error=error))
    service.remove_tags(session, subscriber_id, [tag])
    return _back(subscriber_id, "untagged", "#tags")


@router.post("/{subscriber_id:int}/edit")
def edit_person(
    request: Request,
    subscriber_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    name: FormStr = "",
    time_zone: FormStr = "",
) -> Response:
    """Owner only: the person's name and time zone (empty clears it)."""
    service.get_subscriber(session, subscriber_id)
    entered = {"name": name, "time_zone": time_zone}
    form.on_error(
        lambda error: subscriber_page(request, session, subscriber_id, error=error, form=entered)
    )
    service.update_subscriber(session, subscriber_id, name=name, time_zone=time_zone)
    return _back(subscriber_id, "saved")


@router.post("/{subscriber_id:int}/fields")
def set_field(
    request: Request,
    subscriber_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    field: FormStr = "",
    value: FormStr = "",
) -> Response:
    """Owner only: set a custom field (an empty value removes it)."""
    service.get_subscriber(session, subscriber_id)
    entered = {"field": field, "value": value}
    form.on_error(
        lambda error: subscriber_page(request, session, subscriber_id, error=error, form=entered)
    )
    service.update_subscriber(session, subscriber_id, fields={field.strip(): value.strip() or None})
    return _back(subscriber_id, "field", "#fields")


@router.post("/{subscriber_id:int}/unsubscribe")
def unsubscribe(
    request: Request,
    subscriber_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    list_id: FormStr = "",
    confirm: FormStr = "",
) -> Response:
    """Owner only: take the person off one list, or (once confirmed) off every list."""
    person = service.get_subscriber(session, subscriber_id)
    form.on_error(lambda error: subscriber_page(request, session, subscriber_id, error=error))
    chosen = list_id_of(list_id)
    if chosen is None:
        step = Confirmation(
            title=f"Unsubscribe {person.email} from every list?",
            consequence="They get no more mail from any list. Only their own sign-up (or your "
            "adding them again with their consent) puts them back; an import never does. The "
            "consent ledger records this opt-out under your name.",
            button="Unsubscribe from every list",
            cancel=f"/audience/subscribers/{subscriber_id}",
            fields={"list_id": ""},
        )
        if (asked := ask_first(request, confirm, step)) is not None:
            return asked
    consent = Consent(Source.MANUAL, form=f"Dashboard ({user.email})")
    service.unsubscribe(session, request.app.state.secret, subscriber_id, chosen, consent)
    return _back(subscriber_id, "unsubscribed")


@router.get("/{subscriber_id:int}/export.json")
def personal_data(subscriber_id: DbId, session: SessionDep, user: OwnerUser) -> Response:
    """Owner only: everything kept about the person, as a JSON file (a GDPR access request)."""
    data = service.personal_data(session, subscriber_id)
    return Response(
        orjson.dumps(data, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="subscriber-{subscriber_id}.json"'},
    )


@router.post("/{subscriber_id:int}/erase")
def erase(
    request: Request,
    subscriber_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    confirm: FormStr = "",
) -> Response:
    """Owner only: erase the person (GDPR) once confirmed; a keyed hash of the address stays."""
    person = service.get_subscriber(session, subscriber_id)
    step = Confirmation(
        title=f"Erase {person.email}?",
        consequence="Everything about this person is deleted: their lists, tags, fields, "
        "consent ledger and activity. This cannot be undone. Only a keyed hash of the address "
        "is kept, so an import or the API cannot add them back; their own sign-up still can. "
        "Download their data first if they asked for a copy.",
        button="Erase for good",
        cancel=f"/audience/subscribers/{subscriber_id}",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    service.erase(session, request.app.state.secret, subscriber_id)
    return RedirectResponse("/audience/subscribers?done=erased", status_code=303)
