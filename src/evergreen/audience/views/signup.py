"""The hosted sign-up form, /f/<slug>: shown to anyone, posted from its own page (CSRF-checked;
pages elsewhere embed the snippet, which posts to the JSON endpoint instead)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from evergreen.audience.models import Form
from evergreen.audience.rules.forms import HONEYPOT, Verdict, render_token, wait_in_words
from evergreen.audience.service import forms
from evergreen.db import utcnow
from evergreen.siteurl import site_url
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import Public, SessionDep, SettingsDep, client_address
from evergreen.web.templates import render

__all__ = ["HONEYPOT", "router"]

router = APIRouter(include_in_schema=False)
Slug = Annotated[str, Path(max_length=60)]


async def _posted(request: Request) -> FormData:
    return await request.form()


PostedForm = Annotated[FormData, Depends(_posted)]


def _page(
    request: Request,
    session: Session,
    form: Form,
    *,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    context = {
        "title": form.heading or form.name,
        "form": form,
        "values": values or {},
        "token": render_token(request.app.state.secret, form.slug, utcnow()),
        "honeypot": HONEYPOT,
        "lists": [row.name for row in forms.form_lists(session, form)],
        **extra,
    }
    return render(request, "audience/form_public.html", context, status_code=status_code)


@router.get("/f/{slug}", dependencies=[Public])
def form_page(request: Request, session: SessionDep, slug: Slug) -> Response:
    """The form, with a fresh signed render time; ?email= and ?name= fill it in (the snippet's
    fallback without JavaScript lands here)."""
    form = forms.public_form(session, slug)
    values = {k: request.query_params.get(k, "")[:320] for k in ("email", "name")}
    return _page(request, session, form, values=values)


@router.post("/f/{slug}", dependencies=[Public])
def post_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    _csrf: CsrfProtected,
    posted: PostedForm,
    slug: Slug,
) -> Response:
    """Sign up: bots and people already on the list get the same answer as everyone else."""
    form = forms.public_form(session, slug)
    text = {key: value for key, value in posted.items() if isinstance(value, str)}
    fields = {name: text.get(f"field.{name}", "")[:1000] for name in form.field_names or []}
    values: dict[str, Any] = {
        "email": text.get("email", ""),
        "name": text.get("name", ""),
        "fields": fields,
    }
    signup = forms.submit(
        session,
        request.app.state.secret,
        form.slug,
        forms.Submission(
            email=values["email"][:1000],
            name=values["name"][:1000],
            fields=fields,
            token=text.get("token", "")[:200],
            honeypot=text.get(HONEYPOT, ""),
            client=client_address(request),
            time_zone=text.get("time_zone", "")[:64],
        ),
    )
    if signup.retry_after:
        wait = wait_in_words(timedelta(seconds=signup.retry_after))
        error = f"Too many sign-ups from your address. Please try again in {wait}."
        response = _page(request, session, form, values=values, status_code=429, error=error)
        response.headers["Retry-After"] = str(max(1, int(signup.retry_after + 0.999)))
        return response
    if signup.error is not None:
        error = f"{signup.error.field}: {signup.error.message}"
        return _page(request, session, form, values=values, status_code=400, error=error)
    if signup.verdict is Verdict.AGAIN:
        note = "Please check your details and press the button once more to sign up."
        return _page(request, session, form, values=values, note=note)
    forms.schedule_confirmation(background, settings, signup, site_url(request))
    if form.redirect_url:
        return RedirectResponse(form.redirect_url, status_code=303)
    return _page(request, session, form, done=True)
