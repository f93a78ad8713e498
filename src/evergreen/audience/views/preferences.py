"""The preference centre, /audience/preferences/<token>: no sign-in, the signed link from an
email is the key (service/preferences.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from evergreen.audience.rules.forms import FREQUENCIES, Verdict
from evergreen.audience.service import forms, preferences
from evergreen.errors import InputError
from evergreen.siteurl import site_url
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import MAX_ID, Public, SessionDep, SettingsDep, client_address
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/audience/preferences", include_in_schema=False)
Token = Annotated[str, Path(max_length=100)]


def _page(
    request: Request, session: Session, token: str, *, status_code: int = 200, **extra: Any
) -> Response:
    try:
        shown = preferences.preferences(session, request.app.state.secret, token)
    except InputError as error:
        invalid = {"title": "Preferences", "invalid": error.message}
        return render(request, "audience/preferences.html", invalid, status_code=404)
    context: dict[str, Any] = {
        "title": "Your email preferences",
        "prefs": shown,
        "token": token,
        "frequencies": FREQUENCIES,
        **extra,
    }
    return render(request, "audience/preferences.html", context, status_code=status_code)


@router.get("/{token}", dependencies=[Public])
def preferences_page(request: Request, session: SessionDep, token: Token) -> Response:
    """The person's lists, ticked where they are on them, and how often they hear from us."""
    return _page(request, session, token)


@router.post("/{token}", dependencies=[Public])
def save(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    _csrf: CsrfProtected,
    form: FormPageDep,
    token: Token,
    lists: Annotated[list[int] | None, Form()] = None,
    frequency: Annotated[str, Form(max_length=20)] = "all",
    action: Annotated[str, Form(max_length=20)] = "save",
) -> Response:
    """Save the choices, or leave every list ("unsubscribe from everything")."""
    form.on_error(lambda error: _page(request, session, token, status_code=400, error=error))
    secret = request.app.state.secret
    if action == "leave":
        left = preferences.leave_everything(session, secret, token, client_address(request))
        done = "You are unsubscribed from every list." if left else "You were on no list."
        return _page(request, session, token, done=done)
    keep = [i for i in lists or [] if 0 < i <= MAX_ID]
    saved = preferences.save_preferences(
        session, secret, token, keep, frequency, client_address(request)
    )
    if saved.confirmations:
        signup = forms.Signup(Verdict.ACCEPT, saved.email, saved.name, saved.confirmations)
        forms.schedule_confirmation(background, settings, signup, site_url(request))
    parts = ["Your preferences are saved."]
    if saved.left:
        parts.append(f"You left: {', '.join(saved.left)}.")
    if saved.confirmations:
        parts.append("To join again, press the link we just mailed you.")
    return _page(request, session, token, done=" ".join(parts))
