"""Sign-in, first-run setup, sign-out, passwords, API tokens and people pages."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.accounts import service as accounts
from evergreen.accounts.errors import InvalidCredentials, SignInLocked
from evergreen.accounts.mailing import reset_mail
from evergreen.accounts.models import User
from evergreen.accounts.rules import FORGOT_ANSWER, ResetRequestPolicy, Role, session_token
from evergreen.config import Settings
from evergreen.digits import is_digits
from evergreen.errors import InputError
from evergreen.mail.transactional import deliver, mail_problem
from evergreen.siteurl import site_url
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
    SignedInUser,
)
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["mail_link", "router", "safe_next", "setup_token"]

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
    portals = {Role.PARTNER.value: "/portal", Role.BORROWER.value: "/borrower"}
    target = portals.get(user.role, next) if next == "/" else next
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
    request: Request,
    token_id: DbId,
    session: SessionDep,
    user: DashboardUser,
    _csrf: CsrfProtected,
    confirm: FormStr = "",
) -> Response:
    """Revoke one of the signed-in person's tokens, once confirmed."""
    token = accounts.get_token(session, user, token_id)
    step = Confirmation(
        title=f"Revoke the API token “{token.name}”?",
        consequence=f"Scripts using the token that starts with {token.prefix}… stop working at "
        "once, with 401 answers. A revoked token cannot be turned back on; you would create a "
        "new one and put it in each script.",
        button="Revoke token",
        cancel="/account/tokens",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    accounts.revoke_token(session, user, token_id)
    return RedirectResponse("/account/tokens", status_code=303)


def _settings(request: Request, session: Session, status: int = 200, **extra: Any) -> Response:
    """The people list; `extra` carries the add form's values, its error or a new reset link."""
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


@router.post("/settings/users/{user_id}/reset")
def reset_user_password(
    request: Request,
    user_id: int,
    session: SessionDep,
    settings: SettingsDep,
    user: OwnerUser,
    form: FormPageDep,
    _csrf: CsrfProtected,
    confirm: FormStr = "",
) -> Response:
    """Owner-only, once confirmed: a one-time link for staff or a partner to choose a password."""
    person = accounts.get_user(session, user_id)
    step = Confirmation(
        title=f"Make a password-reset link for {person.email}?",
        consequence="You get a link that works once, for 24 hours, to send them yourself. Whoever "
        "opens it chooses a new password and signs out every browser of that account; until "
        "then their current password keeps working. An earlier unused link stops working.",
        button="Make reset link",
        cancel="/settings",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    form.on_error(lambda error: _settings(request, session, 400, error=error.message))
    link = accounts.issue_reset(session, person.email, actor=user.email, base_url=site_url(request))
    mailed = mail_link(session, settings, link)
    return _settings(request, session, reset=link, mailed=mailed)


def mail_link(session: Session, settings: Settings, link: accounts.ResetLink) -> str:
    """Mail a reset link just made, once it is stored (committed first, so the link works when
    it arrives and no SMTP wait holds the write lock); what happened, in words, for the page."""
    problem = mail_problem(settings)
    if problem is not None:
        return f"Not mailed: email is not set up ({problem}). Send the link yourself."
    session.commit()
    failed = deliver(settings, reset_mail(link), "password-reset mail")
    if failed is not None:
        return f"Not mailed ({failed}). Send the link yourself."
    return f"Mailed to {link.email}."


# Passwords: the signed-in person changes theirs; a reset link lets someone choose a new one.


def _password_page(
    request: Request,
    session: Session,
    user: User,
    status: int = 200,
    *,
    error: InputError | None = None,
    done: bool = False,
    revoked: int = 0,
) -> Response:
    working = sum(token.revoked_at is None for token in accounts.list_tokens(session, user))
    context: dict[str, Any] = {
        "title": "Account", "done": done, "revoked": revoked, "working_tokens": working,
    }  # fmt: skip
    if error is not None:
        context |= {"error": error.message, "field": error.field}
        status = 429 if isinstance(error, SignInLocked) else status
    return render(request, "accounts/password.html", context, status_code=status)


@router.get("/account/password")
def password_page(
    request: Request, session: SessionDep, user: SignedInUser, done: str = "", revoked: str = ""
) -> Response:
    """Anyone signed in (owner, staff, partner) changes their own password here."""
    count = int(revoked) if is_digits(revoked) and len(revoked) < 7 else 0
    return _password_page(request, session, user, done=bool(done), revoked=count)


@router.post("/account/password")
def change_password(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: SignedInUser,
    form: FormPageDep,
    _csrf: CsrfProtected,
    current_password: FormStr = "",
    password: FormStr = "",
    password_again: FormStr = "",
    revoke_tokens: FormStr = "",
) -> Response:
    """Check the current password, set the new one and sign out every other browser (and
    revoke the person's API tokens when they tick the box)."""
    form.on_error(lambda error: _password_page(request, session, user, 400, error=error))
    revoked = accounts.change_password(
        session,
        user,
        current_password,
        password,
        password_again,
        keep_session=session_token(request.cookies.get(SESSION_COOKIE, "")),
        policy=accounts.ThrottlePolicy(
            max_failures=settings.login_max_failures,
            window=timedelta(minutes=settings.login_lock_minutes),
        ),
        revoke_tokens=bool(revoke_tokens),
    )
    done = f"/account/password?done=1&revoked={revoked}" if revoked else "/account/password?done=1"
    return RedirectResponse(done, status_code=303)


def _reset_page(request: Request, token: str, status: int = 200, **extra: Any) -> Response:
    context: dict[str, Any] = {"title": "Choose a new password", "token": token, **extra}
    return render(request, "accounts/reset.html", context, status_code=status)


@router.get("/account/reset", dependencies=[Public])
def reset_page(
    request: Request, session: SessionDep, form: FormPageDep, token: str = "", done: str = ""
) -> Response:
    """Where a reset link leads: the new-password form, or why the link no longer works."""
    if done and not token:
        return _reset_page(request, "", title="Password set", done=True)
    form.on_error(lambda error: _reset_page(request, "", 400, problem=error.message))
    reset = accounts.reset_for_token(session, token)
    return _reset_page(request, token, email=reset.user.email)


@router.post("/account/reset", dependencies=[Public])
def reset_password(
    request: Request,
    session: SessionDep,
    form: FormPageDep,
    _csrf: CsrfProtected,
    token: FormStr = "",
    password: FormStr = "",
    password_again: FormStr = "",
) -> Response:
    """Set the new password once; every browser signed in to that account is signed out."""
    form.on_error(lambda error: _reset_page(request, "", 400, problem=error.message))
    email = accounts.reset_for_token(session, token).user.email

    def _shown(error: InputError) -> Response:
        if error.field == "token":
            return _reset_page(request, "", 400, problem=error.message)
        return _reset_page(request, token, 400, email=email, error=error.message, field=error.field)

    form.on_error(_shown)
    accounts.use_reset(session, token, password, password_again)
    return RedirectResponse("/account/reset?done=1", status_code=303)


# Forgotten passwords: a mailed link when email is set up, the same answer for every address.


def _forgot_page(request: Request, settings: Settings, status: int = 200, **extra: Any) -> Response:
    context: dict[str, Any] = {
        "title": "Forgot your password?",
        "mail_problem": mail_problem(settings),
        **extra,
    }
    return render(request, "accounts/forgot.html", context, status_code=status)


@router.get("/login/forgot", dependencies=[Public])
def forgot_page(request: Request, settings: SettingsDep, sent: str = "") -> Response:
    """Ask for a reset link by email (or, without mail set up, say whom to ask)."""
    return _forgot_page(request, settings, answer=FORGOT_ANSWER if sent else "")


@router.post("/login/forgot", dependencies=[Public])
def forgot(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    form: FormPageDep,
    _csrf: CsrfProtected,
    email: FormStr = "",
) -> Response:
    """Count the request, make a link when the account may have one, mail it after the answer
    (so the answer takes as long for every address), and answer the same for every address."""
    if mail_problem(settings) is not None:
        return _forgot_page(request, settings, email=email)
    form.on_error(
        lambda error: _forgot_page(request, settings, 400, email=email, error=error.message)
    )
    outcome = accounts.request_reset(
        session,
        email,
        client=_client(request),
        base_url=site_url(request),
        policy=ResetRequestPolicy(),
    )
    if outcome.wait is not None:
        minutes = max(1, int(outcome.wait.total_seconds() // 60) + 1)
        error = (
            f"Too many reset requests from here or for this address. Try again in {minutes} "
            f"minute{'s' if minutes != 1 else ''}, or ask the owner for a reset link."
        )
        page = _forgot_page(request, settings, 429, email=email, error=error)
        page.headers["Retry-After"] = str(int(outcome.wait.total_seconds()) + 1)
        return page
    if outcome.link is not None:
        background.add_task(deliver, settings, reset_mail(outcome.link), "reset mail")
    return RedirectResponse("/login/forgot?sent=1", status_code=303)
