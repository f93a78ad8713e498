"""/buy/intake/<signed token>: the buyer of a done-for-you service answers its intake questions
(no sign-in: the link is signed; the form is CSRF-checked; answers can be changed until the
service is delivered)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.commerce.rules.fulfilment import read_intake_token
from evergreen.commerce.service import engagements
from evergreen.db import utcnow
from evergreen.errors import InputError, NotFound
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import Public, SessionDep
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(max_length=120)]


def _engagement_id(request: Request, token: str) -> int:
    try:
        return read_intake_token(request.app.state.secret, token)
    except InputError:
        raise NotFound("token", "this intake link is not valid") from None


def _page(
    request: Request,
    session: Session,
    token: str,
    *,
    answers: list[str] | None = None,
    error: InputError | None = None,
    saved: bool = False,
) -> Response:
    row = engagements.get_engagement(session, _engagement_id(request, token))
    given = answers if answers is not None else list(row.answers)
    given = given + [""] * (len(row.questions) - len(given))
    context: dict[str, Any] = {
        "title": "A few questions", "row": row, "token": token,
        "pairs": list(zip(row.questions, given, strict=False)), "error": error, "saved": saved,
    }  # fmt: skip
    return render(request, "commerce/intake.html", context, status_code=400 if error else 200)


@router.get("/buy/intake/{token}", dependencies=[Public])
def intake_page(request: Request, session: SessionDep, token: Token, saved: str = "") -> Response:
    """The service's intake questions, with the buyer's answers so far."""
    return _page(request, session, token, saved=saved == "1")


@router.post("/buy/intake/{token}", dependencies=[Public])
def answer(
    request: Request,
    session: SessionDep,
    token: Token,
    _csrf: CsrfProtected,
    form: FormPageDep,
    answer: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Keep the buyer's answers; the form again with what to fix when one is missing."""
    given = [a[:5000] for a in (answer or [])][:20]
    form.on_error(lambda error: _page(request, session, token, answers=given, error=error))
    engagement_id = _engagement_id(request, token)
    engagements.answer_intake(session, engagement_id, given, utcnow())
    return RedirectResponse(f"/buy/intake/{token}?saved=1", status_code=303)
