"""/api/v1/commerce engagements: done-for-you services bought (due and overdue), one with its
intake answers and tasks; a service product's intake questions, tasks and delivery days; tasks
added and ticked; "delivered" (the buyer's mail once). Staff read and tick; the owner writes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request
from pydantic import Field

from evergreen.commerce.models import Engagement, EngagementTask
from evergreen.commerce.rules.fulfilment import ENGAGEMENT_STATUSES, is_overdue
from evergreen.commerce.service import engagements
from evergreen.db import utcnow
from evergreen.mail.transactional import deliver_async
from evergreen.siteurl import site_url
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, ApiStaff, DbId, SessionDep, SettingsDep

__all__ = ["engagement_dict", "router"]

router = APIRouter(prefix="/commerce", tags=["commerce"])
Status = Annotated[str | None, Query(max_length=12, description=", ".join(ENGAGEMENT_STATUSES))]


class ServiceIn(RequestBody):
    """A service product's intake questions, task titles and days to delivery."""

    intake_questions: list[Annotated[str, Field(max_length=300)]] = Field([], max_length=20)
    tasks: list[Annotated[str, Field(max_length=200)]] = Field([], max_length=20)
    delivery_days: int | None = Field(None, ge=1, le=365)


class TaskIn(RequestBody):
    """A task: its title, who does it (an owner or staff user id) and when it is due."""

    title: str = Field(max_length=200)
    assignee_id: int | None = Field(None, ge=1, le=2**31 - 1)
    due_on: date | None = None


class TickIn(RequestBody):
    """Whether the task is done."""

    done: bool = True


def _task(row: EngagementTask) -> dict[str, Any]:
    return {"id": row.id, "title": row.title, "assignee_id": row.assignee_id,
            "due_on": row.due_on.isoformat() if row.due_on else None,
            "done": row.done_at is not None}  # fmt: skip


def engagement_dict(row: Engagement, tasks: list[EngagementTask] | None = None) -> dict[str, Any]:
    """An engagement with its answers (and tasks when given)."""
    data: dict[str, Any] = {
        "id": row.id, "order_id": row.order_id, "product_id": row.product_id,
        "buyer_email": row.buyer_email, "status": row.status,
        "due_on": row.due_on.isoformat() if row.due_on else None,
        "overdue": is_overdue(row.due_on, row.status, utcnow().date()),
        "intake": [{"question": q, "answer": a} for q, a in
                   zip(row.questions, row.answers or [""] * len(row.questions), strict=False)],
    }  # fmt: skip
    if tasks is not None:
        data["tasks"] = [_task(t) for t in tasks]
    return data


@router.put("/products/{product_id}/service", operation_id="set_commerce_product_service")
def set_service(
    product_id: DbId, body: ServiceIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: a service product's intake questions, tasks and delivery days."""
    row = engagements.set_service(
        session, product_id, body.intake_questions, body.tasks, body.delivery_days
    )
    return {"product_id": product_id, "intake_questions": row.intake_questions,
            "tasks": row.task_titles, "delivery_days": row.delivery_days}  # fmt: skip


@router.get("/engagements", operation_id="list_commerce_engagements")
def list_engagements(session: SessionDep, user: ApiStaff, status: Status = None) -> dict[str, Any]:
    """Engagements, the soonest due first."""
    rows = engagements.list_engagements(session, status)
    return {"engagements": [engagement_dict(row) for row in rows]}


@router.get("/engagements/{engagement_id}", operation_id="get_commerce_engagement")
def get_engagement(engagement_id: DbId, session: SessionDep, user: ApiStaff) -> dict[str, Any]:
    """One engagement with its intake answers and tasks."""
    row = engagements.get_engagement(session, engagement_id)
    return engagement_dict(row, engagements.engagement_tasks(session, row.id))


@router.post(
    "/engagements/{engagement_id}/tasks", status_code=201, operation_id="add_commerce_task"
)
def add_task(
    engagement_id: DbId, body: TaskIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: add a task (due by the engagement's date unless given)."""
    return _task(
        engagements.add_task(session, engagement_id, body.title, body.assignee_id, body.due_on)
    )


@router.post("/engagement-tasks/{task_id}/done", operation_id="tick_commerce_task")
def tick(task_id: DbId, body: TickIn, session: SessionDep, user: ApiStaff) -> dict[str, Any]:
    """Tick a task off (or back on)."""
    return _task(engagements.tick_task(session, task_id, body.done, utcnow()))


@router.post("/engagements/{engagement_id}/deliver", operation_id="deliver_commerce_engagement")
def deliver(
    engagement_id: DbId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    user: ApiOwner,
) -> dict[str, Any]:
    """Owner only: the service is delivered; the buyer is mailed the first time only."""
    done = engagements.mark_delivered(session, engagement_id, utcnow())
    if done.newly:
        message = engagements.delivered_mail(
            session, engagement_id, request.app.state.secret, site_url(request)
        )
        background.add_task(deliver_async, settings, message, "service delivered")
    return {**engagement_dict(done.row), "newly_delivered": done.newly}
