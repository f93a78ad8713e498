"""`evergreen commerce service …`: done-for-you engagements (list with due and overdue), their
tasks (add, tick, list) and delivery (after confirming; the buyer's mail once)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session

from evergreen.commerce.rules.fulfilment import is_overdue
from evergreen.commerce.service import engagements
from evergreen.config import get_settings, resolve_secret_key
from evergreen.console import confirmed, failure, in_session, row_id_argument, row_id_option
from evergreen.db import utcnow
from evergreen.mail.transactional import Transactional, deliver
from evergreen.siteurl import cli_site_url

__all__ = ["service_app"]

service_app = typer.Typer(
    help="Done-for-you services: engagements, tasks, delivery.", no_args_is_help=True
)


@service_app.command("list")
def service_list(
    status: Annotated[str, typer.Option("--status", help="intake, in_progress, delivered.")] = "",
) -> None:
    """Engagements, the soonest due first: id, buyer, status, due date (OVERDUE when past)."""

    def work(session: Session) -> list[str]:
        today = utcnow().date()
        return [
            f"{e.id}\t{e.buyer_email}\t{e.status}\t{e.due_on or '-'}"
            + ("\tOVERDUE" if is_overdue(e.due_on, e.status, today) else "")
            for e in engagements.list_engagements(session, status or None)
        ]

    for line in in_session(work, writer=False):
        typer.echo(line)


@service_app.command("task")
def service_task(
    engagement_id: Annotated[int, row_id_argument("The engagement's id.")],
    title: Annotated[str, typer.Argument(help="A new task's title (none: list).")] = "",
    assignee: Annotated[int | None, row_id_option("A user's id.")] = None,
    done: Annotated[int | None, row_id_option("Tick this task id off.")] = None,
) -> None:
    """Add a task, tick one off (--done ID), or list the engagement's tasks."""
    if assignee is not None and not title.strip():
        raise failure(
            "--assignee is for a new task: give its title, or drop --assignee "
            "(a task's assignee is set when it is added)"
        )

    def work(session: Session) -> list[str]:
        engagements.get_engagement(session, engagement_id)
        if done is not None:
            engagements.tick_task(session, done, True, utcnow())
        if title:
            engagements.add_task(session, engagement_id, title, assignee)
        return [
            f"{t.id}\t[{'x' if t.done_at else ' '}] {t.title}\t{t.due_on or '-'}"
            for t in engagements.engagement_tasks(session, engagement_id)
        ]

    for line in in_session(work):
        typer.echo(line)


@service_app.command("deliver")
def service_deliver(
    engagement_id: Annotated[int, row_id_argument("The engagement's id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask first.")] = False,
) -> None:
    """Mark the service delivered (after confirming); the buyer is mailed once."""
    confirmed(
        "", "Mark this service delivered and tell the buyer?",
        "marking it delivered mails the buyer", yes=yes,
    )  # fmt: skip
    settings = get_settings()
    secret = resolve_secret_key(settings)

    def work(session: Session) -> Transactional | None:
        result = engagements.mark_delivered(session, engagement_id, utcnow())
        if not result.newly:
            return None
        base = cli_site_url(settings).url
        return engagements.delivered_mail(session, engagement_id, secret, base)

    message = in_session(work)
    if message is None:
        typer.echo("Already delivered.")
        return
    problem = deliver(settings, message, "service delivered")
    typer.echo("Delivered; the buyer was mailed." if problem is None else f"Delivered; {problem}")
