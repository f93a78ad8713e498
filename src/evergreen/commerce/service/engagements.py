"""Done-for-you services: a paid service line opens an engagement (once per order and
product) with the product's intake questions and tasks; the buyer answers on a signed link, the
owner or staff tick tasks off, and "delivered" mails the buyer once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.accounts import service as accounts
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import (
    Engagement,
    EngagementTask,
    Order,
    OrderLine,
    Product,
    ProductFulfilment,
)
from evergreen.commerce.rules.checkout import order_token
from evergreen.commerce.rules.fulfilment import (
    ENGAGEMENT_STATUSES,
    check_answers,
    check_delivery_days,
    check_questions,
    due_on,
    intake_token,
)
from evergreen.commerce.rules.products import check_text
from evergreen.errors import Conflict, NotFound
from evergreen.mail.transactional import Transactional

__all__ = [
    "Delivered",
    "add_task",
    "answer_intake",
    "delivered_mail",
    "engagement_tasks",
    "engagements_of_order",
    "get_engagement",
    "intake_link",
    "intake_links",
    "list_engagements",
    "mark_delivered",
    "open_engagements",
    "set_service",
    "tick_task",
]

_DELIVERED_BODY = """<p>Hello {{ subscriber.name or "" }},</p>
<p>Your {{ subscriber.fields.product }} (order {{ subscriber.fields.number }}) is delivered.</p>
<p>Your order, any time:
<a href="{{ subscriber.fields.url }}">{{ subscriber.fields.url }}</a></p>"""


@dataclass(frozen=True)
class Delivered:
    """An engagement marked delivered; `newly`: mail the buyer now (once)."""

    row: Engagement
    newly: bool


def set_service(
    session: Session,
    product_id: int,
    questions: str | Sequence[str],
    tasks: str | Sequence[str],
    delivery_days: int | str | None,
) -> ProductFulfilment:
    """A service product's intake questions, task titles and delivery days."""
    from evergreen.commerce.service.suppliers import fulfilment_of

    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("product", "no such product")
    if product.kind != "service":
        raise CommerceInputError("product", "intake questions are for service products")
    row = fulfilment_of(session, product_id)
    row.intake_questions = check_questions(questions)
    titles = tasks.splitlines() if isinstance(tasks, str) else list(tasks)
    row.task_titles = [t for t in (check_text("tasks", str(x), 200) for x in titles) if t][:20]
    row.delivery_days = check_delivery_days(delivery_days)
    session.flush()
    return row


def open_engagements(
    session: Session, order: Order, lines: Sequence[tuple[OrderLine, Product]], now: datetime
) -> list[Engagement]:
    """One engagement per service product of a paid order, with its tasks, once."""
    opened = []
    for product in dict.fromkeys(p for _line, p in lines if p.kind == "service"):
        known = select(Engagement.id).where(
            Engagement.order_id == order.id, Engagement.product_id == product.id
        )
        if session.scalar(known) is not None:
            continue
        settings = session.get(ProductFulfilment, product.id)
        due = due_on(order.paid_at or now, settings.delivery_days if settings else None)
        questions = list(settings.intake_questions) if settings else []
        row = Engagement(
            order_id=order.id, product_id=product.id, buyer_email=order.buyer_email,
            buyer_name=order.buyer_name, status="intake" if questions else "in_progress",
            due_on=due, questions=questions, answers=[], created_at=now,
        )  # fmt: skip
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
                for title in settings.task_titles if settings else []:
                    session.add(EngagementTask(engagement_id=row.id, title=title, due_on=due))
                session.flush()
        except IntegrityError:
            continue
        opened.append(row)
    return opened


def get_engagement(session: Session, engagement_id: int) -> Engagement:
    """The engagement, or NotFound."""
    row = session.get(Engagement, engagement_id)
    if row is None:
        raise NotFound("engagement", "no such engagement")
    return row


def list_engagements(session: Session, status: str | None = None) -> list[Engagement]:
    """Engagements, the soonest due first (those without a due date last)."""
    if status is not None and status not in ENGAGEMENT_STATUSES:
        raise CommerceInputError("status", f"must be one of {', '.join(ENGAGEMENT_STATUSES)}")
    query = select(Engagement)
    if status:
        query = query.where(Engagement.status == status)
    rows = list(session.scalars(query.order_by(Engagement.id)))
    return sorted(rows, key=lambda r: (r.due_on is None, r.due_on or date.max, r.id))


def engagements_of_order(session: Session, order_id: int) -> list[Engagement]:
    """The engagements an order opened."""
    query = select(Engagement).where(Engagement.order_id == order_id).order_by(Engagement.id)
    return list(session.scalars(query))


def engagement_tasks(session: Session, engagement_id: int) -> list[EngagementTask]:
    """An engagement's tasks in the order they were added."""
    query = select(EngagementTask).where(EngagementTask.engagement_id == engagement_id)
    return list(session.scalars(query.order_by(EngagementTask.id)))


def _locked(session: Session, engagement_id: int) -> Engagement:
    row = session.scalar(
        select(Engagement)
        .where(Engagement.id == engagement_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound("engagement", "no such engagement")
    return row


def answer_intake(
    session: Session, engagement_id: int, answers: Sequence[str], now: datetime
) -> Engagement:
    """The buyer's intake answers (again: they replace the last ones until delivery)."""
    row = _locked(session, engagement_id)
    if row.status == "delivered":
        raise Conflict("answers", "this service is delivered already")
    row.answers = check_answers(row.questions, answers)
    row.answered_at = now
    row.status = "in_progress"
    session.flush()
    return row


def add_task(
    session: Session,
    engagement_id: int,
    title: str,
    assignee_id: int | None = None,
    due: date | None = None,
) -> EngagementTask:
    """A task on an engagement, for the owner or a staff member, due by the engagement's date."""
    row = get_engagement(session, engagement_id)
    if assignee_id is not None:
        try:
            user = accounts.get_user(session, assignee_id)
        except NotFound:
            raise CommerceInputError("assignee_id", "no such user") from None
        if user.role not in ("owner", "staff"):
            raise CommerceInputError("assignee_id", "tasks go to the owner or staff")
    task = EngagementTask(
        engagement_id=row.id, title=check_text("title", title, 200, required=True),
        assignee_id=assignee_id, due_on=due or row.due_on,
    )  # fmt: skip
    session.add(task)
    session.flush()
    return task


def tick_task(session: Session, task_id: int, done: bool, now: datetime) -> EngagementTask:
    """Tick a task off (or back on)."""
    task = session.get(EngagementTask, task_id)
    if task is None:
        raise NotFound("task", "no such task")
    task.done_at = (task.done_at or now) if done else None
    session.flush()
    return task


def mark_delivered(session: Session, engagement_id: int, now: datetime) -> Delivered:
    """The service is delivered: once (a second call changes nothing and mails nobody)."""
    row = _locked(session, engagement_id)
    if row.status == "delivered":
        return Delivered(row, newly=False)
    row.status, row.delivered_at = "delivered", now
    session.flush()
    return Delivered(row, newly=True)


def delivered_mail(
    session: Session, engagement_id: int, secret: str, base_url: str
) -> Transactional:
    """The buyer's mail that the service is delivered, with the order link."""
    row = get_engagement(session, engagement_id)
    order = session.get(Order, row.order_id)
    product = session.get(Product, row.product_id)
    assert order is not None
    assert product is not None
    return Transactional(
        to=row.buyer_email, name=row.buyer_name, subject=f"{product.name} is delivered",
        body=_DELIVERED_BODY,
        values={"product": product.name, "number": order.number,
                "url": f"{base_url.rstrip('/')}/buy/order/{order_token(secret, order.number)}"},
    )  # fmt: skip


def intake_link(secret: str, base_url: str, engagement_id: int) -> str:
    """The buyer's signed intake link."""
    return f"{base_url.rstrip('/')}/buy/intake/{intake_token(secret, engagement_id)}"


def intake_links(session: Session, order: Order, secret: str, base_url: str) -> list[str]:
    """The intake links of an order's services that ask questions (for the receipt)."""
    return [
        intake_link(secret, base_url, row.id)
        for row in engagements_of_order(session, order.id)
        if row.questions and row.status == "intake"
    ]
