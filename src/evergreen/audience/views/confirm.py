"""/audience/confirm/{token}: the public page of a double opt-in link. Opening the link only
shows a button; the POST it sends confirms, so a mail scanner that fetches every link in a
message confirms nobody. A bad or expired link gets a page that says what to do."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from evergreen.audience import queries, service
from evergreen.audience.rules import Source, Status
from evergreen.audience.service import Consent
from evergreen.errors import InputError
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import Public, SessionDep
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/audience/confirm", include_in_schema=False)
Token = Annotated[str, PathParam(max_length=400)]
# The words the confirmation page shows; recorded with the confirmation in the consent ledger.
WORDING = "Confirm your subscription to {list}: [Yes, subscribe me]"


def _page(request: Request, status_code: int = 200, **context: Any) -> Response:
    return render(
        request,
        "audience/confirm_link.html",
        {"title": "Confirm your subscription", **context},
        status_code=status_code,
    )


def _bad_link(request: Request, error: InputError) -> Response:
    return _page(request, 400, problem=error.message)


@router.get("/{token}", dependencies=[Public])
def confirm_page(
    request: Request, token: Token, session: SessionDep, form: FormPageDep
) -> Response:
    """The question and its button; nothing changes until the button is pressed."""
    form.on_error(lambda error: _bad_link(request, error))
    found = queries.confirmation(session, request.app.state.secret, token)
    if found.status == Status.SUBSCRIBED:
        return _page(request, list_name=found.list_name, done=True, already=True)
    if found.status != Status.UNCONFIRMED:
        return _page(
            request,
            400,
            problem="this confirmation link is no longer valid (you left the list after it was "
            "sent); sign up again to get a new one",
        )
    return _page(request, list_name=found.list_name, token=token, email=found.email)


@router.post("/{token}", dependencies=[Public])
def confirm(
    request: Request,
    token: Token,
    session: SessionDep,
    _csrf: CsrfProtected,
    form: FormPageDep,
) -> Response:
    """Confirm the subscription (recorded with the page's words and the keyed hash of the IP)."""
    form.on_error(lambda error: _bad_link(request, error))
    secret = request.app.state.secret
    found = queries.confirmation(session, secret, token)
    consent = Consent(
        Source.FORM,
        form="confirmation page",
        wording=WORDING.format(list=found.list_name),
        ip=request.client.host if request.client else None,
    )
    service.confirm(session, secret, token, consent)
    return _page(request, list_name=found.list_name, done=True)
