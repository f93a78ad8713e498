"""Borrower invitations: the borrower follows the owner's signed link to set a password."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from evergreen.errors import InputError
from evergreen.lending import service
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import Public, SessionDep
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]
_TITLE = "Set your password"


def _refused(request: Request, error: InputError) -> Response:
    context = {"title": "Invitation not usable", "problem": error.message}
    return render(request, "lending/portal/invite.html", context, status_code=400)


@router.get("/borrower/invite", dependencies=[Public])
def invite_page(
    request: Request, session: SessionDep, form: FormPageDep, token: str = ""
) -> Response:
    """The set-your-password form a borrower reaches from the owner's invitation link."""
    form.on_error(lambda error: _refused(request, error))
    invite, borrower = service.usable_invitation(session, request.app.state.secret, token[:1000])
    context = {"title": _TITLE, "token": token, "name": borrower.name, "invite": invite}
    return render(request, "lending/portal/invite.html", context)


@router.post("/borrower/invite", dependencies=[Public])
def accept_invite(
    request: Request,
    session: SessionDep,
    _csrf: CsrfProtected,
    form: FormPageDep,
    token: FormStr = "",
    password: FormStr = "",
    password_again: FormStr = "",
) -> Response:
    """Create the borrower's sign-in with the password they chose, then send them to sign in."""
    form.on_error(lambda error: _refused(request, error))
    invite, borrower = service.usable_invitation(session, request.app.state.secret, token[:1000])
    context: dict[str, Any] = {"title": _TITLE, "token": token, "name": borrower.name,
                               "invite": invite}  # fmt: skip
    if password != password_again:
        context["error"] = "The two passwords differ; type the same password twice."
        return render(request, "lending/portal/invite.html", context, status_code=400)

    def _shown(error: InputError) -> Response:
        """The invitation refused (used meanwhile), or the password form with its error."""
        if error.field == "token":
            return _refused(request, error)
        page = {**context, "error": error.message}
        return render(request, "lending/portal/invite.html", page, status_code=400)

    form.on_error(_shown)
    service.accept_invitation(session, invite, password)
    return RedirectResponse("/login?next=/borrower", status_code=303)
