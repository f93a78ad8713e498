"""A portal's invitation page: the invited person follows the owner's signed link and sets a
password; one page for every portal, given its path, its words and its two service calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.errors import InputError
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import Public, SessionDep
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["Invitation", "invitation_router"]

FormStr = Annotated[str, Form()]
_TITLE = "Set your password"
_TEMPLATE = "portal_invite.html"


@dataclass(frozen=True)
class Invitation:
    """One portal's invitation: where it is served, whom it welcomes, what the service does."""

    path: str  # where the page is served, GET and POST
    who: str  # the invited person, one word: "the <who> portal" on the page
    home: str  # the portal's first page, where the new account signs in to
    # (session, secret, token) → (the invitation: .email, .expires_at; whose it is: .name),
    # or the InputError saying why it cannot be used
    usable: Callable[[Session, str, str], tuple[Any, Any]]
    accept: Callable[[Session, Any, str], object]  # (session, invitation, password)
    refuses: Callable[[InputError], bool]  # an error of `accept` that refuses the invitation


def invitation_router(page: Invitation) -> APIRouter:
    """The invitation's two routes: the set-your-password form and its post."""
    router = APIRouter(include_in_schema=False)
    words = {"portal": page.who, "home": page.home, "action": page.path}

    def refused(request: Request, error: InputError) -> Response:
        context = {"title": "Invitation not usable", "problem": error.message, **words}
        return render(request, _TEMPLATE, context, status_code=400)

    def invite_page(
        request: Request, session: SessionDep, form: FormPageDep, token: str = ""
    ) -> Response:
        form.on_error(lambda error: refused(request, error))
        invite, whose = page.usable(session, request.app.state.secret, token)
        context = {"title": _TITLE, "token": token, "name": whose.name, "invite": invite}
        return render(request, _TEMPLATE, {**context, **words})

    def accept_invite(
        request: Request,
        session: SessionDep,
        _csrf: CsrfProtected,
        form: FormPageDep,
        token: FormStr = "",
        password: FormStr = "",
        password_again: FormStr = "",
    ) -> Response:
        form.on_error(lambda error: refused(request, error))
        invite, whose = page.usable(session, request.app.state.secret, token)
        context: dict[str, Any] = {"title": _TITLE, "token": token, "name": whose.name,
                                   "invite": invite, **words}  # fmt: skip
        if password != password_again:
            context["error"] = "The two passwords differ; type the same password twice."
            return render(request, _TEMPLATE, context, status_code=400)

        def shown(error: InputError) -> Response:
            """The invitation refused (used meanwhile), or the password form with its error."""
            if page.refuses(error):
                return refused(request, error)
            return render(request, _TEMPLATE, {**context, "error": error.message},
                          status_code=400)  # fmt: skip

        form.on_error(shown)
        page.accept(session, invite, password)
        return RedirectResponse(f"/login?next={page.home}", status_code=303)

    invite_page.__doc__ = f"The set-your-password form a {page.who} reaches from the invitation."
    accept_invite.__doc__ = (
        f"Create the {page.who}'s sign-in with the password they chose, then send them to sign in."
    )
    router.add_api_route(page.path, invite_page, methods=["GET"], dependencies=[Public],
                         name=f"{page.who}_invite_page")  # fmt: skip
    router.add_api_route(page.path, accept_invite, methods=["POST"], dependencies=[Public],
                         name=f"accept_{page.who}_invite")  # fmt: skip
    return router
