"""The empty dashboard's "Load a demo year" button."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from evergreen.db import utcnow
from evergreen.demo import service
from evergreen.errors import Conflict
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import OwnerUser, SettingsDep

__all__ = ["router"]

router = APIRouter(prefix="/ledger", include_in_schema=False)


@router.post("/demo")
def load_demo(
    request: Request, user: OwnerUser, _csrf: CsrfProtected, settings: SettingsDep
) -> Response:
    """Owner only: load the demo year (an installation with streams says so instead)."""
    del user
    try:
        service.load_demo(request.app.state.db, settings, utcnow().date())
    except Conflict:
        return RedirectResponse("/?demo=refused", status_code=303)
    return RedirectResponse("/?demo=loaded", status_code=303)
