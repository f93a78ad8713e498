"""The empty dashboard's "Load a demo year" button."""

from __future__ import annotations

import logging

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import RedirectResponse, Response

from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.demo import service
from evergreen.errors import Conflict
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import OwnerUser, SessionDep, SettingsDep

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter(prefix="/ledger", include_in_schema=False)


def _load(db: Database, settings: Settings) -> None:
    try:
        service.load_demo(db, settings, utcnow().date())
    except Conflict:  # another click won the race: the demo is there once
        log.info("the demo year was loaded already")


@router.post("/demo")
def load_demo(
    request: Request,
    user: OwnerUser,
    _csrf: CsrfProtected,
    settings: SettingsDep,
    session: SessionDep,
    background: BackgroundTasks,
) -> Response:
    """Owner only: load the demo year once the answer is sent (its own units of work must not
    join this request's); an installation with streams says so instead."""
    del user
    if not service.is_empty(session):
        return RedirectResponse("/?demo=refused", status_code=303)
    background.add_task(_load, request.app.state.db, settings)
    return RedirectResponse("/?demo=loading", status_code=303)
