"""The owner's view of the background tasks: each periodic task, when it last ran and where,
so a cluster that runs one twice (or not at all) shows it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from evergreen.db import utcnow
from evergreen.jobs import background_tasks
from evergreen.web.deps import OwnerUser, SettingsDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/settings/tasks")
def tasks_page(request: Request, settings: SettingsDep, user: OwnerUser) -> Response:
    """Owner-only: each periodic task's schedule, last run and runs in the last hour."""
    tasks = background_tasks(settings, request.app.state.db, utcnow())
    return render(request, "background.html", {"title": "Background tasks", "tasks": tasks})
