"""One time entry of a stream: correct its hours or memo, or delete it (after a confirmation).
Owner only; staff see the entry. The hours list of a stream's figure links here."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from evergreen.errors import InputError
from evergreen.ledger import service
from evergreen.ledger.models import HoursEntry, Stream
from evergreen.ledger.rules import parse_hours
from evergreen.ledger.views.forms import hours
from evergreen.ledger.views.forms import memo as memo_of
from evergreen.ledger.views.page_query import PageQuery
from evergreen.ledger.views.stream import StreamDep
from evergreen.money import show_number
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/ledger/streams", include_in_schema=False)
Back = Annotated[str, Form(max_length=4000)]


def _listed(stream: Stream, back: str, done: str = "") -> str:
    """The stream's hours list, for the period the owner was looking at."""
    view = PageQuery.parse(back).encoded()
    tail = "".join(f"&{part}" for part in (view, f"done={done}" if done else "") if part)
    return f"/ledger/streams/{stream.id}/entries?figure=hours{tail}"


def _page(
    request: Request,
    stream: Stream,
    entry: HoursEntry,
    back: str,
    *,
    form: dict[str, str] | None = None,
    error: InputError | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "title": f"Time entry {entry.id} of {stream.name}",
        "stream": stream,
        "entry": entry,
        "back": PageQuery.parse(back).encoded(),
        "listed": _listed(stream, back),
        "form": form or {"hours": show_number(entry.hours), "memo": entry.memo},
        "error": error,
        "hours_text": hours,
    }
    return render(request, "ledger/hours_entry.html", context, status_code=status_code)


@router.get("/{stream_id:int}/hours/{entry_id:int}")
def entry_page(
    request: Request,
    user: DashboardUser,
    stream: StreamDep,
    session: SessionDep,
    entry_id: DbId,
    back: str = "",
) -> Response:
    """A time entry, with the form that corrects it and the button that deletes it."""
    entry = service.hours_entry(session, entry_id, stream)
    return _page(request, stream, entry, back[:4000])


@router.post("/{stream_id:int}/hours/{entry_id:int}")
def change_entry(
    request: Request,
    user: OwnerUser,
    _csrf: CsrfProtected,
    stream: StreamDep,
    session: SessionDep,
    page: FormPageDep,
    entry_id: DbId,
    hours_typed: Annotated[str, Form(alias="hours", max_length=100)] = "",
    memo: Annotated[str, Form(max_length=2000)] = "",
    back: Back = "",
) -> Response:
    """Owner only: save the entry's corrected hours and memo."""
    entry = service.hours_entry(session, entry_id, stream)
    typed = {"hours": hours_typed, "memo": memo}
    page.on_error(
        lambda error: _page(request, stream, entry, back, form=typed, error=error, status_code=400)
    )
    service.change_hours(session, entry.id, parse_hours(hours_typed.strip()), memo_of(memo))
    return RedirectResponse(_listed(stream, back, "hours_changed"), status_code=303)


@router.post("/{stream_id:int}/hours/{entry_id:int}/delete")
def delete_entry(
    request: Request,
    user: OwnerUser,
    _csrf: CsrfProtected,
    stream: StreamDep,
    session: SessionDep,
    entry_id: DbId,
    back: Back = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Owner only, once confirmed: delete the entry; the stream's hours lose it."""
    entry = service.hours_entry(session, entry_id, stream)
    memo = f" “{entry.memo}”" if entry.memo else ""
    step = Confirmation(
        title=f"Delete time entry {entry.id}?",
        consequence=f"{hours(entry.hours)} hours on {entry.date}{memo} ({entry.source}) leave "
        f"{stream.name}'s hours, and its owner time charge with them. "
        + ("Importing the same file again would add them back. " if entry.source_key else "")
        + "This cannot be undone; enter the hours again if you change your mind.",
        button="Delete time entry",
        cancel=_listed(stream, back),
        fields={"back": PageQuery.parse(back).encoded()},
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    service.delete_hours(session, entry.id, stream)
    return RedirectResponse(_listed(stream, back, "hours_deleted"), status_code=303)
