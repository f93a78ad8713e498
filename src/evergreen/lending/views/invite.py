"""The owner's invitation of a borrower to the portal: a signed link to hand over (the owner
pages link here from a borrower; the API and CLI make the same link)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from evergreen.errors import InputError
from evergreen.lending import service
from evergreen.siteurl import site_url
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DbId, OwnerUser, SessionDep
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/lending/borrowers", include_in_schema=False)


def _page(request: Request, context: dict[str, Any], status_code: int = 200) -> Response:
    return render(request, "lending/invite.html", context, status_code=status_code)


@router.get("/{borrower_id:int}/invite")
def invite_page(
    request: Request, borrower_id: DbId, session: SessionDep, user: OwnerUser
) -> Response:
    """What inviting does, and the button that makes the link."""
    borrower = service.get_borrower(session, borrower_id)
    return _page(request, {"title": f"Invite {borrower.name}", "borrower": borrower})


@router.post("/{borrower_id:int}/invite")
def make_invite(
    request: Request,
    borrower_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
) -> Response:
    """Owner only: a new invitation link (earlier ones stop working), shown to copy."""
    borrower = service.get_borrower(session, borrower_id)
    context: dict[str, Any] = {"title": f"Invite {borrower.name}", "borrower": borrower}

    def _refused(error: InputError) -> Response:
        return _page(request, {**context, "error": error}, status_code=400)

    form.on_error(_refused)
    link = service.issue_invite(session, request.app.state.secret, site_url(request), borrower.id)
    return _page(request, {**context, "link": link})
