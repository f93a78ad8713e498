"""Public partner sign-up: anyone may apply when the owner allows it; the owner approves."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response

from evergreen.partners import service
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import Public, SessionDep, SettingsDep
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


def _open(settings: Any) -> None:
    if not settings.partner_signup:
        raise HTTPException(404, "Partner sign-up is not open.")


@router.get("/partners/join", dependencies=[Public])
def join_page(request: Request, settings: SettingsDep) -> Response:
    """The application form (404 unless EVERGREEN_PARTNER_SIGNUP is on)."""
    _open(settings)
    return render(request, "partners/signup.html", {"title": "Become a partner"})


@router.post("/partners/join", dependencies=[Public])
def join(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _csrf: CsrfProtected,
    form: FormPageDep,
    name: FormStr = "",
    email: FormStr = "",
    password: FormStr = "",
    website: FormStr = "",
) -> Response:
    """Create a pending partner and its sign-in; nothing is earned until the owner approves."""
    _open(settings)
    context: dict[str, Any] = {"title": "Become a partner", "name": name, "email": email}
    if website:  # a field people never see: only form-filling bots send it
        return render(request, "partners/signup.html", {**context, "done": True})
    form.on_error(
        lambda error: render(
            request,
            "partners/signup.html",
            {**context, "error": f"{error.field or 'form'}: {error.message}"},
            status_code=400,
        )
    )
    program = service.default_program(session)
    service.sign_up(session, program, name=name, email=email, password=password)
    return render(request, "partners/signup.html", {**context, "done": True})
