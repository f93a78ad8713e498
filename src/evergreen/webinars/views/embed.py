"""The embeddable registration form: the HTML snippet shown on the webinar's page, the fresh
time-trap token its one-line script fetches (CORS-open JSON, no cookie), and the public post it
sends. The post carries no CSRF token: it comes from another site, where this site's cookie never
travels, and it acts for no signed-in person. What guards it is what guards the hosted page
besides CSRF: the honeypot, the signed render time (too fast is a bot, missing or stale gets the
hosted page filled in to press once more) and the per-client rate limit."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse, Response

from evergreen.audience import service as audience
from evergreen.db import utcnow
from evergreen.siteurl import site_url
from evergreen.web.deps import Public, SessionDep, SettingsDep
from evergreen.webinars import registrations
from evergreen.webinars.queries import WebinarCard
from evergreen.webinars.views.register import HONEYPOT, PostedForm, Slug, accept, scope_of

__all__ = ["router", "snippet"]

router = APIRouter(include_in_schema=False)


def snippet(request: Request, card: WebinarCard) -> str:
    """The HTML to paste into another site: a form posting here, its zone filled by a script."""
    if not card.slug:
        return ""
    template = request.app.state.templates.get_template("webinars/embed_snippet.html")
    base = site_url(request).rstrip("/")
    return str(template.render(card=card, base=base, honeypot=HONEYPOT))


@router.get("/w/{slug}/embed.json", dependencies=[Public])
def embed_token(request: Request, session: SessionDep, slug: Slug) -> Response:
    """A fresh signed render time for an embedded form (any site may ask; no cookie is read)."""
    webinar = registrations.public_webinar(session, slug)
    token = audience.post_token(request.app.state.secret, scope_of(webinar), utcnow())
    response = JSONResponse({"token": token})
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/w/{slug}/embed", dependencies=[Public])
def embedded_register(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    posted: PostedForm,
    slug: Slug,
) -> Response:
    """Register from a form embedded on another site: the hosted page's rules without CSRF."""
    return accept(request, session, settings, background, posted, slug)
