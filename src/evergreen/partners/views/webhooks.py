"""Owner's page of outgoing webhooks: endpoints, their recent deliveries, add, pause, delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.addresses import Addresses
from evergreen.partners import service
from evergreen.partners.rules.webhooks import SIGNATURE_HEADER
from evergreen.partners.service import webhooks
from evergreen.partners.views.deps import ProgramDep
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DbId, OwnerUser, SessionDep, SettingsDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/partners/webhooks", include_in_schema=False)
_DONE = {
    "disabled": "Endpoint disabled: no events are queued or sent to it until you enable it.",
    "enabled": "Endpoint enabled: new events are queued for it again.",
    "deleted": "Endpoint deleted, with its delivery history.",
}


def _page(request: Request, session: Session, *, status_code: int = 200, **extra: Any) -> Response:
    """The list of endpoints; `extra` carries the add form's values, its error or a new secret."""
    program = service.default_program(session)
    endpoints = service.list_endpoints(session, program)
    context: dict[str, Any] = {
        "title": "Webhooks",
        "endpoints": endpoints,
        "deliveries": service.recent_deliveries(session, endpoints),
        "events": webhooks.EVENTS,
        "signature_header": SIGNATURE_HEADER,
        "form": {"url": "", "events": list(webhooks.EVENTS)},
        "error": None,
        **extra,
    }
    return render(request, "partners/admin_webhooks.html", context, status_code=status_code)


@router.get("")
def webhooks_page(
    request: Request, session: SessionDep, user: OwnerUser, done: str = ""
) -> Response:
    """Every endpoint with its latest deliveries, and the form to add one."""
    return _page(request, session, done=_DONE.get(done, ""))


@router.post("")
def add_endpoint(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    program: ProgramDep,
    settings: SettingsDep,
    _csrf: CsrfProtected,
    form: FormPageDep,
    url: Annotated[str, Form()] = "",
    events: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Subscribe a URL and show its signing secret, this once."""
    chosen = events or []
    entered = {"url": url, "events": chosen}
    form.on_error(lambda error: _page(request, session, status_code=400, form=entered, error=error))
    allow = Addresses(settings.webhook_allow, names=True)
    endpoint = service.add_endpoint(session, program, url.strip(), chosen, allow=allow)
    created = {"url": endpoint.url, "secret": endpoint.secret}
    return _page(request, session, created=created)


def _change(session: Session, endpoint_id: int, action: str) -> Response:
    """Disable, enable or delete one endpoint, then go back to the list."""
    program = service.default_program(session)
    if action == "deleted":
        service.delete_endpoint(session, program, endpoint_id)
    else:
        service.set_active(session, program, endpoint_id, active=action == "enabled")
    return RedirectResponse(f"{router.prefix}?done={action}", status_code=303)


@router.post("/{endpoint_id:int}/disable")
def disable_endpoint(
    endpoint_id: DbId, session: SessionDep, user: OwnerUser, _csrf: CsrfProtected
) -> Response:
    """Stop queueing and sending events to an endpoint, keeping it and its history."""
    return _change(session, endpoint_id, "disabled")


@router.post("/{endpoint_id:int}/enable")
def enable_endpoint(
    endpoint_id: DbId, session: SessionDep, user: OwnerUser, _csrf: CsrfProtected
) -> Response:
    """Queue new events for a disabled endpoint again."""
    return _change(session, endpoint_id, "enabled")


@router.post("/{endpoint_id:int}/delete")
def delete_endpoint(
    request: Request,
    endpoint_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    program: ProgramDep,
    _csrf: CsrfProtected,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Remove an endpoint and its delivery history, once confirmed."""
    endpoint = webhooks.get_endpoint(session, program, endpoint_id)
    step = Confirmation(
        title="Delete this webhook endpoint?",
        consequence=f"{endpoint.url} receives no more events, and its delivery history is "
        "deleted with it. This cannot be undone; to stop deliveries for a while, disable it "
        "instead.",
        button="Delete endpoint",
        cancel=router.prefix,
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    return _change(session, endpoint_id, "deleted")
