"""The webinar page's content sections: upload the recording or give its URL, add and remove
offers and chat lines (removal after a confirmation), and the staff's preview of the file.
Owner writes; staff read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from evergreen.digits import is_digits
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep, SettingsDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.gate import body_limit
from evergreen.web.uploads import PostedForm, chunks, length_gate
from evergreen.webinars import content, service
from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.rules.content import MAX_VIDEO_BYTES
from evergreen.webinars.views.forms import FormStr
from evergreen.webinars.views.webinars import show_webinar

__all__ = ["router"]

router = APIRouter(prefix="/webinars", include_in_schema=False)
_SLACK = 1024 * 1024  # the multipart envelope around the file


_TOO_LARGE = f"The recording is larger than {MAX_VIDEO_BYTES // (1024 * 1024)} MB."
SizeGate = Annotated[None, length_gate(MAX_VIDEO_BYTES + _SLACK, _TOO_LARGE)]


def _whole(field: str, text: str, *, optional: bool = False) -> int | None:
    value = text.strip()
    if optional and not value:
        return None
    if not is_digits(value) or len(value) > 9:
        raise WebinarInputError(field, f"give a whole number, not {value[:20]!r}")
    return int(value)


def _back(webinar_id: int, done: str, anchor: str) -> Response:
    return RedirectResponse(f"/webinars/{webinar_id}?done={done}#{anchor}", status_code=303)


@router.post("/{webinar_id:int}/video", dependencies=[body_limit(MAX_VIDEO_BYTES + _SLACK)])
def upload_video(
    request: Request,
    webinar_id: DbId,
    session: SessionDep,
    settings: SettingsDep,
    user: OwnerUser,
    _gate: SizeGate,
    _csrf: CsrfProtected,
    form: FormPageDep,
    posted: PostedForm,
) -> Response:
    """Owner only: upload the recording (mp4 or webm, up to the size limit)."""
    service.get_webinar(session, webinar_id)
    form.on_error(lambda error: show_webinar(request, session, webinar_id, error=error))
    upload = posted.get("video")
    if not isinstance(upload, UploadFile):
        raise WebinarInputError("video", "choose an mp4 or webm file to upload")
    content.store_video(session, settings.data_dir, webinar_id, chunks(upload.file))
    return _back(webinar_id, "video", "recording")


@router.post("/{webinar_id:int}/video-url")
def video_url(
    request: Request,
    webinar_id: DbId,
    session: SessionDep,
    settings: SettingsDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    url: FormStr = "",
) -> Response:
    """Owner only: the recording is at this http(s) URL (an uploaded file is removed)."""
    service.get_webinar(session, webinar_id)
    form.on_error(lambda error: show_webinar(request, session, webinar_id, error=error))
    content.set_video_url(session, settings.data_dir, webinar_id, url)
    return _back(webinar_id, "video", "recording")


@router.get("/{webinar_id:int}/video")
def preview_video(
    webinar_id: DbId, session: SessionDep, settings: SettingsDep, user: DashboardUser
) -> Response:
    """The uploaded recording for the owner and staff (range requests)."""
    webinar = service.get_webinar(session, webinar_id)
    path = content.video_path(settings.data_dir, webinar)
    if path is None or webinar.video_type is None:
        raise HTTPException(404, "This webinar has no uploaded recording on the server.")
    return FileResponse(path, media_type=webinar.video_type)


@router.post("/{webinar_id:int}/offers")
def add_offer(
    request: Request,
    webinar_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    at_second: FormStr = "",
    title: FormStr = "",
    url: FormStr = "",
    button: FormStr = "",
    deadline_minutes: FormStr = "",
) -> Response:
    """Owner only: an offer shown from a second, its button a tracking link."""
    service.get_webinar(session, webinar_id)
    form.on_error(lambda error: show_webinar(request, session, webinar_id, error=error))
    draft = content.OfferDraft(
        at_second=_whole("at_second", at_second) or 0,
        title=title,
        url=url,
        button=button,
        deadline_minutes=_whole("deadline_minutes", deadline_minutes, optional=True),
    )
    content.add_offer(session, webinar_id, draft)
    return _back(webinar_id, "offer", "offers")


@router.post("/{webinar_id:int}/offers/{offer_id:int}/delete")
def delete_offer(
    request: Request,
    webinar_id: DbId,
    offer_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    confirm: FormStr = "",
) -> Response:
    """Owner only: remove an offer once confirmed."""
    service.get_webinar(session, webinar_id)
    step = Confirmation(
        title="Remove this offer from the room?",
        consequence="Viewers no longer see it; its tracking link and the clicks it counted stay.",
        button="Remove offer",
        cancel=f"/webinars/{webinar_id}#offers",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    content.delete_offer(session, webinar_id, offer_id)
    return _back(webinar_id, "offer-removed", "offers")


@router.post("/{webinar_id:int}/chat")
def add_chat(
    request: Request,
    webinar_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    at_second: FormStr = "",
    question: FormStr = "",
    asked_on: FormStr = "",
) -> Response:
    """Owner only: a real question from an earlier session, with the date it was asked."""
    service.get_webinar(session, webinar_id)
    form.on_error(lambda error: show_webinar(request, session, webinar_id, error=error))
    draft = content.ChatDraft(
        at_second=_whole("at_second", at_second) or 0, question=question, asked_on=asked_on
    )
    content.add_chat_line(session, webinar_id, draft)
    return _back(webinar_id, "chat", "chat")


@router.post("/{webinar_id:int}/chat/{line_id:int}/delete")
def delete_chat(
    request: Request,
    webinar_id: DbId,
    line_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    confirm: FormStr = "",
) -> Response:
    """Owner only: remove a chat line once confirmed."""
    service.get_webinar(session, webinar_id)
    step = Confirmation(
        title="Remove this question from the chat script?",
        consequence="Viewers no longer see it in the room.",
        button="Remove question",
        cancel=f"/webinars/{webinar_id}#chat",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    content.delete_chat_line(session, webinar_id, line_id)
    return _back(webinar_id, "chat-removed", "chat")
