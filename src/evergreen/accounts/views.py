"""Sign-in, first-run setup, sign-out, API tokens and people pages."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.accounts import service as accounts
from evergreen.accounts.errors import InvalidCredentials, SignInLocked
from evergreen.accounts.models import User
from evergreen.accounts.rules import Role
from evergreen.errors import InputError
from evergreen.web.csrf import CsrfProtected, new_csrf_cookie, set_csrf_cookie
from evergreen.web.deps import (
    SESSION_COOKIE,
    DashboardUser,
    DbId,
    OptionalUser,
    OwnerUser,
    Public,
    SessionDep,
    SettingsDep,
)
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["router", "safe_next", "setup_token"]

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


def setup_token(secret: str) -> str:
    """The one-time secret in the first-run setup link; only whoever sees the console has it."""
    return hmac.new(secret.encode(), b"first-run-setup", hashlib.sha256).hexdigest()[:32]


def safe_next(target: str) -> str:
    """Only same-site paths are followed after sign-in, so the form is no open redirect."""
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _signed_in(request: Request, role: str, raw: str, target: str) -> Response:
    """Sign the browser in: the session cookie (with its signed role) and a new CSRF cookie, so
    no form token from before sign-in is good afterwards."""
    response = RedirectResponse(safe_next(target), status_code=303)
    settings = request.app.state.settings
    days = settings.session_days
    response.set_cookie(
        SESSION_COOKIE,
        accounts.session_cookie(request.app.state.secret, role, raw, days=days),
        max_age=days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    set_csrf_cookie(response, new_csrf_cookie(), secure=settings.secure_cookies)
    return response


def _form_again(
    request: Request, template: str, context: dict[str, Any], error: InputError
) -> Response:
    """A form again with the refusal as its page message: 401 for credentials, 429 when locked."""
    status = {InvalidCredentials: 401, SignInLocked: 429}.get(type(error), 400)
    return render(request, template, {**context, "error": error.message}, status_code=status)


@router.get("/login")
def login_page(
    request: Request, user: OptionalUser, session: SessionDep, next: str = "/"
) -> Response:
    """The sign-in form (or straight on, for someone already signed in)."""
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    context: dict[str, Any] = {"title": "Sign in", "next": safe_next(next)}
    context["needs_setup"] = not accounts.owner_exists(session)
    return render(request, "accounts/login.html", context)


@router.post("/login", dependencies=[Public])
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: FormPageDep,
    _csrf: CsrfProtected,
    email: FormStr = "",
    password: FormStr = "",
    next: FormStr = "/",
) -> Response:
    """Check the credentials, throttled per account and per client, then open a session."""
    context: dict[str, Any] = {"title": "Sign in", "next": safe_next(next), "email": email}
    form.on_error(lambda error: _form_again(request, "accounts/login.html", context, error))
    policy = accounts.ThrottlePolicy(
        max_failures=settings.login_max_failures,
        window=timedelta(minutes=settings.login_lock_minutes),
    )
    user, raw = accounts.sign_in(
        session,
        email,
        password,
        client=_client(request),
        policy=policy,
        days=settings.session_days,
        user_agent=request.headers.get("user-agent", ""),
    )
    target = "/portal" if user.role == Role.PARTNER.value and next == "/" else next
    return _signed_in(request, user.role, raw, target)


@router.post("/logout", dependencies=[Public])
def logout(request: Request, session: SessionDep, _csrf: CsrfProtected) -> Response:
    """End this browser's session on the server, not just in the cookie."""
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        accounts.end_session(session, raw)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    secure = request.app.state.settings.secure_cookies
    set_csrf_cookie(response, new_csrf_cookie(), secure=secure)
    return response


@router.get("/setup", dependencies=[Public])
def setup_page(request: Request, session: SessionDep, token: str = "") -> Response:
    """First run: create the owner, with the token printed by `evergreen serve`."""
    if accounts.owner_exists(session):
        return RedirectResponse("/login", status_code=303)
    valid = hmac.compare_digest(token, setup_token(request.app.state.secret))
    context = {"title": "Set up Evergreen", "token": token, "token_valid": valid}
    return render(request, "accounts/setup.html", context, status_code=200 if valid else 403)


@router.post("/setup", dependencies=[Public])
def setup(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: FormPageDep,
    _csrf: CsrfProtected,
    token: FormStr = "",
    email: FormStr = "",
    password: FormStr = "",
    password_again: FormStr = "",
) -> Response:
    """Create the owner account and sign them in."""
    if accounts.owner_exists(session):
        return RedirectResponse("/login", status_code=303)
    valid = hmac.compare_digest(token, setup_token(request.app.state.secret))
    context: dict[str, Any] = {"title": "Set up Evergreen", "token": token, "token_valid": valid}
    context["email"] = email
    if not valid:
        return render(request, "accounts/setup.html", context, status_code=403)
    if password != password_again:
        context["error"] = "The two passwords differ; type the same password twice."
        return render(request, "accounts/setup.html", context, status_code=400)
    form.on_error(lambda error: _form_again(request, "accounts/setup.html", context, error))
    raw = accounts.set_up_owner(session, email, password, days=settings.session_days)
    return _signed_in(request, Role.OWNER.value, raw, "/")


def _tokens(
    request: Request, session: Session, user: User, status: int = 200, **extra: Any
) -> Response:
    context = {"title": "API tokens", "tokens": accounts.list_tokens(session, user), **extra}
    return render(request, "accounts/tokens.html", context, status_code=status)


@router.get("/account/tokens")
def tokens_page(request: Request, session: SessionDep, user: DashboardUser) -> Response:
    """The signed-in person's API tokens."""
    return _tokens(request, session, user)


@router.post("/account/tokens")
def create_token(
    request: Request,
    session: SessionDep,
    user: DashboardUser,
    form: FormPageDep,
    _csrf: CsrfProtected,
    name: FormStr = "",
) -> Response:
    """Issue a token and show it this once."""
    form.on_error(lambda error: _tokens(request, session, user, 400, error=error.message))
    _token, raw = accounts.create_token(session, user, name)
    return _tokens(request, session, user, new_token=raw)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    token_id: DbId, session: SessionDep, user: DashboardUser, _csrf: CsrfProtected
) -> Response:
    """Revoke one of the signed-in person's tokens."""
    accounts.revoke_token(session, user, token_id)
    return RedirectResponse("/account/tokens", status_code=303)


def _settings(request: Request, session: Session, status: int = 200, **extra: Any) -> Response:
    context = {"title": "Settings", "users": accounts.list_users(session), "roles": list(Role)}
    return render(request, "accounts/settings.html", {**context, **extra}, status_code=status)


@router.get("/settings")
def settings_page(request: Request, session: SessionDep, user: OwnerUser) -> Response:
    """Owner-only: people who can sign in, and how this installation is configured."""
    return _settings(request, session)


@router.post("/settings/users")
def add_user(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    form: FormPageDep,
    _csrf: CsrfProtected,
    email: FormStr = "",
    password: FormStr = "",
    role: FormStr = "staff",
) -> Response:
    """Owner-only: add a staff member or a partner."""
    form.on_error(lambda error: _settings(request, session, 400, email=email, error=error.message))
    accounts.add_person(session, email, password, role)
    return RedirectResponse("/settings", status_code=303)
