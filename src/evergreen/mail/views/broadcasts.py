"""/mail: broadcasts with their status and counts, composing one (to a list, optionally narrowed
by a saved segment; a strict preview for a chosen subscriber, then save, schedule or send now),
and one broadcast's numbers with pause, resume and cancel. Staff read; the owner writes and
sends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.audience import queries as audience
from evergreen.digits import row_id
from evergreen.errors import InputError, NotFound
from evergreen.mail import queries, service
from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.render import Personal, Rendered, TemplateFormat, compile_message
from evergreen.mail.service.composing import person_values
from evergreen.siteurl import site_url
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/mail", include_in_schema=False)
FormStr = Annotated[str, Form(max_length=500_000)]
Done = Annotated[str, Query(max_length=20)]
_DONE = {
    "saved": "Draft saved.",
    "scheduled": "Scheduled.",
    "sending": "Sending: the queue sends it within a minute; refresh for the counts.",
    "paused": "Paused after the messages in flight.",
    "resumed": "Sending again; nobody gets it twice.",
    "cancelled": "Cancelled: people not yet sent to are skipped.",
    "unscheduled": "Back to a draft.",
}
_PAST = {"pause": "paused", "resume": "resumed", "cancel": "cancelled", "send": "sending"}
_PAST["unschedule"] = "unscheduled"
_SUBJECT_MAX = 998
_BLANK = {
    "list_id": "",
    "segment": "",
    "subject": "",
    "body": "",
    "format": "markdown",
    "preview_email": "",
}


def _list_id(text: str) -> int:
    text = text.strip()
    if not text:
        raise MailInputError("list_id", "choose the list to send to")
    chosen = row_id(text)
    if chosen is None:
        raise MailInputError("list_id", f"{text[:40]!r} is not a list")
    return chosen


def _segment_id(session: Session, text: str) -> int | None:
    """The form's segment choice: a saved segment's id, or None for the whole list (an unknown
    one is refused, naming the field)."""
    text = text.strip()
    if not text:
        return None
    chosen = row_id(text)
    if chosen is None:
        raise MailInputError("segment", f"{text[:40]!r} is not a saved segment")
    found = service.find_segment(session, chosen)
    return found.id if found else None


def _when(text: str) -> datetime:
    """A form's date and time (UTC, as the field says) as an aware time."""
    try:
        found = datetime.fromisoformat(text.strip())
    except ValueError:
        example = "e.g. 2030-01-31T09:00"
        raise MailInputError("scheduled_at", f"give a date and time, {example}") from None
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)


def _audience_words(session: Session, segment_id: int | None) -> str:
    """Who a send goes to, in words for a confirmation."""
    if segment_id is None:
        return "everyone subscribed to the list"
    found = service.find_segment(session, segment_id)
    name = found.name if found else "?"
    return f"everyone subscribed to the list who matches the segment “{name[:100]}”"


def _preview(
    request: Request, session: Session, entered: dict[str, str]
) -> tuple[str, Rendered, int]:
    """One subscriber's copy, rendered strictly (a missing field is an error, not a blank), and
    how many people the broadcast would go to now."""
    list_id = _list_id(entered["list_id"])
    lists = {row.id: row.name for row in audience.list_counts(session)}
    if list_id not in lists:
        raise MailInputError("list_id", f"no list {list_id}")
    segment_id = _segment_id(session, entered["segment"])
    email = entered["preview_email"].strip()
    if email:
        person = audience.find_by_email(session, email)
        if person is None:
            raise MailInputError("preview_email", f"no subscriber {email[:200]}")
    else:
        within = None if segment_id is None else audience.segment_condition(session, segment_id)
        first = session.scalar(audience.subscribed_ids(list_id, within=within).limit(1))
        card = audience.card(session, first) if first is not None else None
        if card is None:
            whom = "the list" if segment_id is None else "the list and segment"
            raise MailInputError("preview_email", f"{whom} have nobody subscribed; name someone")
        person = card
    fmt: TemplateFormat = "html" if entered["format"] == "html" else "markdown"
    template = compile_message(entered["subject"], entered["body"], fmt, strict=True)
    personal = Personal(
        person.email,
        person.name,
        person.fields,
        unsubscribe_url="#unsubscribe",
        list_name=lists[list_id],
        values=person_values(
            session, template.names, person.id, request.app.state.secret, site_url(request)
        ),
    )
    people = service.recipients_now(session, list_id, segment_id)
    return person.email, template.render(personal), people


def _compose(
    request: Request,
    session: Session,
    entered: dict[str, str],
    *,
    error: InputError | None = None,
    preview: tuple[str, Rendered, int] | None = None,
) -> Response:
    context: dict[str, Any] = {
        "title": "New broadcast",
        "lists": audience.list_counts(session),
        "segments": audience.segments(session),
        "form": entered,
        "error": error,
        "preview": preview,
    }
    return render(request, "mail/new.html", context, status_code=400 if error else 200)


@router.get("")
def broadcasts_page(
    request: Request, session: SessionDep, user: DashboardUser, done: Done = ""
) -> Response:
    """Every broadcast, newest first, with its status and its send log counted."""
    context = {
        "title": "Mail",
        "broadcasts": queries.broadcasts(session),
        "lists": {row.id: row.name for row in audience.list_counts(session)},
        "done": _DONE.get(done, ""),
    }
    return render(request, "mail/broadcasts.html", context)


@router.get("/new")
def compose_page(request: Request, session: SessionDep, user: OwnerUser) -> Response:
    """Owner only: the compose form."""
    return _compose(request, session, dict(_BLANK))


@router.post("/new")
def compose(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    list_id: FormStr = "",
    segment: FormStr = "",
    subject: FormStr = "",
    body: FormStr = "",
    format: FormStr = "markdown",
    preview_email: FormStr = "",
    scheduled_at: FormStr = "",
    action: FormStr = "preview",
    confirm: FormStr = "",
) -> Response:
    """Owner only: preview for one subscriber, save a draft, schedule, or send now (after a
    confirmation naming how many people it goes to, counted as queueing will count them)."""
    entered = {
        "list_id": list_id,
        "segment": segment,
        "subject": subject,
        "body": body,
        "format": format,
        "preview_email": preview_email,
        "scheduled_at": scheduled_at,
    }
    form.on_error(lambda error: _compose(request, session, entered, error=error))
    if action == "preview":
        return _compose(request, session, entered, preview=_preview(request, session, entered))
    if action not in ("draft", "schedule", "send"):
        raise MailInputError("action", "preview, save a draft, schedule or send now")
    if len(subject) > _SUBJECT_MAX:  # what the broadcasts table keeps (RFC 5322's line)
        raise MailInputError("subject", f"is longer than {_SUBJECT_MAX} characters")
    segment_id = _segment_id(session, segment)
    draft = service.Draft(subject, body, _list_id(list_id), format, segment_id)
    when = _when(scheduled_at) if action == "schedule" else None
    if action == "send":
        trial = session.begin_nested()  # refused input is shown before asking
        service.create_broadcast(session, draft)
        trial.rollback()
        people = service.recipients_now(session, draft.list_id or 0, segment_id)
        step = Confirmation(
            title=f"Send to {people:,} people now?",
            consequence=f"“{subject[:200]}” goes to {_audience_words(session, segment_id)} "
            f"now ({people:,} people). A message sent cannot be taken back; you can pause or "
            "cancel before the rest go.",
            button="Send now",
            cancel="/mail/new",
            fields={**entered, "action": "send"},
        )
        if (asked := ask_first(request, confirm, step)) is not None:
            return asked
    row = service.create_broadcast(session, draft)
    if action == "draft":
        return RedirectResponse(f"/mail/broadcasts/{row.id}?done=saved", status_code=303)
    service.act(session, row.id, action, scheduled_at=when)
    done = "scheduled" if action == "schedule" else "sending"
    return RedirectResponse(f"/mail/broadcasts/{row.id}?done={done}", status_code=303)


def _broadcast_page(
    request: Request, session: Session, broadcast_id: int, done: str = ""
) -> Response:
    card = queries.broadcast_card(session, broadcast_id)
    if card is None:  # missing, or a sequence's step message (the same ids): no broadcast
        raise NotFound("broadcast_id", f"no broadcast {broadcast_id}")
    lists = {row.id: row.name for row in audience.list_counts(session)}
    segment_name = ""
    if card.segment:
        found = service.find_segment(session, card.segment_id) if card.segment_id else None
        segment_name = found.name if found else f"{card.segment} (deleted segment)"
    context = {
        "title": card.subject,
        "card": card,
        "segment_name": segment_name,
        "stats": queries.stats(session, broadcast_id),
        "list_name": lists.get(card.list_id or 0, "(deleted list)"),
        "done": _DONE.get(done, ""),
    }
    return render(request, "mail/broadcast.html", context)


@router.get("/broadcasts/{broadcast_id:int}")
def broadcast_page(
    request: Request, broadcast_id: DbId, session: SessionDep, user: DashboardUser, done: Done = ""
) -> Response:
    """One broadcast: its status, who it went to and what became of it."""
    return _broadcast_page(request, session, broadcast_id, done)


@router.post("/broadcasts/{broadcast_id:int}/{action}")
def act(
    request: Request,
    broadcast_id: DbId,
    action: str,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    confirm: FormStr = "",
) -> Response:
    """Owner only: send a draft now, unschedule, pause, resume, or cancel once confirmed."""
    if action not in _PAST:
        raise MailInputError("action", "must be send, unschedule, pause, resume or cancel")
    row = service.get_broadcast(session, broadcast_id)
    back = f"/mail/broadcasts/{broadcast_id}"
    if action == "cancel":
        step = Confirmation(
            title=f"Cancel “{row.subject[:200]}”?",
            consequence="Nobody not yet sent to will get it: their messages are skipped, and a "
            "cancelled broadcast cannot be resumed. Messages already sent stay sent.",
            button="Cancel broadcast",
            cancel=back,
        )
        if (asked := ask_first(request, confirm, step)) is not None:
            return asked
    if action == "send" and row.status in ("draft", "scheduled"):
        service.check_broadcast(session, broadcast_id)  # a deleted list or segment: said now
        people = service.recipients_now(session, row.list_id or 0, row.segment_id)
        step = Confirmation(
            title=f"Send to {people:,} people now?",
            consequence=f"“{row.subject[:200]}” goes to {_audience_words(session, row.segment_id)}"
            " now. A message sent cannot be taken back; you can pause or cancel before the rest "
            "go.",
            button="Send now",
            cancel=back,
        )
        if (asked := ask_first(request, confirm, step)) is not None:
            return asked
    service.act(session, broadcast_id, action)
    return RedirectResponse(f"{back}?done={_PAST[action]}", status_code=303)
