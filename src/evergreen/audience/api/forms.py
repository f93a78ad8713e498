"""/api/v1/public/forms/<slug>: the sign-up form as JSON, for the embeddable snippet and for
pages that build their own form. Public (no token), and CORS-enabled:

- A form with no allowed origins answers any page (`Access-Control-Allow-Origin: *`); one with
  allowed origins answers only pages of those origins (the Origin echoed, `Vary: Origin`), and a
  post carrying another Origin is refused 403. Credentials are never allowed: no cookie of this
  site travels with these requests, and none is needed.
- GET gives the form's wording and fields and a fresh signed render time (`token`), which the
  POST must send back: the time trap (see audience/rules/forms.py).
- The POST ignores fields it does not know (web/bodies.ThirdPartyBody): the page that posts is
  someone's own HTML, which may send more than the form asks; its custom fields go in `fields`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from evergreen.audience.models import Form
from evergreen.audience.rules.forms import Verdict, origin_allowed, render_token, wait_in_words
from evergreen.audience.service import forms
from evergreen.db import utcnow
from evergreen.siteurl import site_url
from evergreen.web.bodies import ThirdPartyBody
from evergreen.web.deps import Public, SessionDep, SettingsDep, client_address

__all__ = ["router"]

router = APIRouter(prefix="/public/forms", tags=["audience"])
Slug = Annotated[str, Path(max_length=60)]


class SignupIn(ThirdPartyBody):
    """A sign-up: the address, the name and custom fields the form asks, the `token` from GET,
    `website`, which people leave empty (a honeypot), and the browser's IANA `time_zone` (an
    unknown one is left out)."""

    email: str = Field("", max_length=1000)
    name: str = Field("", max_length=1000)
    fields: dict[str, str] = Field(default_factory=dict, max_length=50)
    token: str = Field("", max_length=200)
    website: str = Field("", max_length=1000)
    time_zone: str = Field("", max_length=1000)


def _origins(form: Form) -> list[str]:
    return [line for line in (form.allowed_origins or "").splitlines() if line]


def _cors(request: Request, form: Form, response: Response) -> Response:
    allowed = _origins(form)
    origin = request.headers.get("origin")
    if not allowed:
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origin and origin_allowed(origin, allowed):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


def _describe(request: Request, form: Form) -> dict[str, Any]:
    return {
        "slug": form.slug,
        "heading": form.heading or form.name,
        "intro": form.intro,
        "wording": form.wording,
        "ask_name": form.ask_name,
        "fields": list(form.field_names or []),
        "button": form.button or "Subscribe",
        "token": render_token(request.app.state.secret, form.slug, utcnow()),
    }


# What a public caller may be told besides success: no such form (or switched off), a site not
# among the form's allowed origins, too many sign-ups from one client.
_REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"description": "There is no sign-up form at this address (or it is switched off)."},
    403: {"description": "The page posting is not on a site the form accepts sign-ups from."},
    429: {"description": "Too many sign-ups from this client; Retry-After says when to retry."},
}


@router.get("/{slug}", operation_id="get_public_form", dependencies=[Public], responses=_REFUSALS)
def get_form(request: Request, session: SessionDep, slug: Slug) -> Response:
    """The form's wording and fields, and a fresh `token` to send back with the sign-up."""
    form = forms.public_form(session, slug)
    return _cors(request, form, JSONResponse(_describe(request, form)))


@router.options(
    "/{slug}",
    operation_id="preflight_public_form",
    dependencies=[Public],
    status_code=204,
    responses=_REFUSALS,
)
def preflight(request: Request, session: SessionDep, slug: Slug) -> Response:
    """CORS preflight: GET and POST with a JSON body, no credentials."""
    form = forms.public_form(session, slug)
    response = Response(status_code=204)
    response.headers["Access-Control-Allow-Methods"] = "GET, POST"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Max-Age"] = "600"
    return _cors(request, form, response)


@router.post(
    "/{slug}", operation_id="sign_up_with_form", dependencies=[Public], responses=_REFUSALS
)
def sign_up(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    body: SignupIn,
    slug: Slug,
) -> Response:
    """Sign up through a form. The answer is the same whether or not the address was already
    on the lists; a bot caught by a trap gets it too, and nothing is stored for it."""
    form = forms.public_form(session, slug)
    origin = request.headers.get("origin")
    if not origin_allowed(origin, _origins(form)):
        detail = f"this form does not accept sign-ups from pages at {origin}"
        return JSONResponse({"detail": detail}, status_code=403)
    signup = forms.submit(
        session,
        request.app.state.secret,
        form.slug,
        forms.Submission(
            email=body.email,
            name=body.name,
            fields=body.fields,
            token=body.token,
            honeypot=body.website,
            client=client_address(request),
            time_zone=body.time_zone,
        ),
    )
    if signup.retry_after:
        wait = wait_in_words(timedelta(seconds=signup.retry_after))
        response: Response = JSONResponse(
            {"detail": f"Too many sign-ups from your address. Please try again in {wait}."},
            status_code=429,
            headers={"Retry-After": str(max(1, int(signup.retry_after + 0.999)))},
        )
        return _cors(request, form, response)
    if signup.error is not None or signup.verdict is Verdict.AGAIN:
        field, message = (
            (signup.error.field, signup.error.message)
            if signup.error is not None
            else ("token", "is missing or too old; GET this form again for a fresh one")
        )
        error = {"field": field, "message": message, "loc": ["body", field]}
        return _cors(request, form, JSONResponse({"detail": [error]}, status_code=422))
    forms.schedule_confirmation(background, settings, signup, site_url(request))
    lists = forms.form_lists(session, form)
    answer = {
        "ok": True,
        "message": form.thank_you
        or "Thank you! If this is your first time here, look in your inbox for a link to confirm.",
        "confirm": any(row.double_opt_in for row in lists),
        "redirect_url": form.redirect_url,
    }
    return _cors(request, form, JSONResponse(answer))
