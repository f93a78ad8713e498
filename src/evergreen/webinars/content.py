"""A webinar's content: its recording (an uploaded mp4/webm under the data folder, or a URL),
the offers shown at a second (their buttons tracking links of the links area) and the chat
script of real questions from earlier sessions. The only writer of offers and chat lines.

The data folder follows the database (`datafiles.delete_when`): a recording replaced or removed
is deleted from disk only once its unit of work commits (a rollback keeps the row naming it),
and one stored by a unit of work that rolls back is deleted with it."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from evergreen.datafiles import delete_when, read_chunks
from evergreen.db import utcnow
from evergreen.errors import NotFound
from evergreen.links import service as links
from evergreen.urls import check_http_url
from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.models import Webinar, WebinarChatLine, WebinarOffer
from evergreen.webinars.rules import check_text
from evergreen.webinars.rules.content import (
    MAX_VIDEO_BYTES,
    VIDEO_TYPES,
    check_asked_on,
    check_deadline,
    check_second,
    sniff_video,
)
from evergreen.webinars.service import get_webinar

__all__ = [
    "ChatDraft",
    "OfferDraft",
    "VideoTooLarge",
    "add_chat_line",
    "add_offer",
    "chat_of",
    "delete_chat_line",
    "delete_offer",
    "forget_recordings",
    "offers_of",
    "set_video_url",
    "store_video",
    "store_video_file",
    "video_path",
]


class VideoTooLarge(WebinarInputError):
    """An upload over the size limit (413 in the API, a note on the page)."""


@dataclass(frozen=True)
class OfferDraft:
    """An offer as entered: when it appears, what it says, where its button goes, its deadline."""

    at_second: int
    title: str
    url: str
    button: str = ""
    deadline_minutes: int | None = None


@dataclass(frozen=True)
class ChatDraft:
    """A question asked in an earlier session, the second it is replayed at and its date."""

    at_second: int
    question: str
    asked_on: str


def offers_of(session: Session, webinar_id: int) -> list[WebinarOffer]:
    """The webinar's offers in the order they appear."""
    query = select(WebinarOffer).where(WebinarOffer.webinar_id == webinar_id)
    return list(session.scalars(query.order_by(WebinarOffer.at_second, WebinarOffer.id)))


def chat_of(session: Session, webinar_id: int) -> list[WebinarChatLine]:
    """The webinar's chat script in the order it is replayed."""
    query = select(WebinarChatLine).where(WebinarChatLine.webinar_id == webinar_id)
    return list(session.scalars(query.order_by(WebinarChatLine.at_second, WebinarChatLine.id)))


def add_offer(session: Session, webinar_id: int, draft: OfferDraft) -> WebinarOffer:
    """A new offer; its button becomes a tracking link (channel webinar, campaign and tag
    naming the webinar) so its clicks count with every other link's. The link sets the click
    cookie, so a checkout on this site (even behind funnel pages) records the click and the
    sale counts as the offer's in the webinar's analytics."""
    webinar = get_webinar(session, webinar_id, lock=True)  # its length, as stored
    row = WebinarOffer(
        webinar_id=webinar.id,
        at_second=check_second("at_second", draft.at_second, webinar.duration_minutes),
        title=check_text("title", draft.title, 200, required=True),
        button=check_text("button", draft.button, 100) or "Get the offer",
        url=check_http_url("url", draft.url, WebinarInputError),
        deadline_minutes=check_deadline(draft.deadline_minutes),
    )
    session.add(row)
    session.flush()
    link = links.create_link(
        session,
        links.LinkDraft(
            destination=row.url,
            title=f"Webinar {webinar.name}: {row.title}"[:200],
            channel="webinar",
            campaign=f"webinar-{webinar.id}",
            tags=["webinar"],
            set_cookie=True,
        ),
    ).link
    row.link_id, row.link_slug = link.id, link.slug
    session.flush()
    return row


def _offer(session: Session, webinar_id: int, offer_id: int) -> WebinarOffer:
    row = session.get(WebinarOffer, offer_id)
    if row is None or row.webinar_id != webinar_id:
        raise NotFound("offer_id", f"no offer {offer_id} in webinar {webinar_id}")
    return row


def delete_offer(session: Session, webinar_id: int, offer_id: int) -> None:
    """Remove an offer from the room (its tracking link and clicks stay in the links area)."""
    session.delete(_offer(session, webinar_id, offer_id))
    session.flush()


def add_chat_line(session: Session, webinar_id: int, draft: ChatDraft) -> WebinarChatLine:
    """A question from an earlier session, dated (today at the latest)."""
    webinar = get_webinar(session, webinar_id, lock=True)  # its length, as stored
    row = WebinarChatLine(
        webinar_id=webinar.id,
        at_second=check_second("at_second", draft.at_second, webinar.duration_minutes),
        question=check_text("question", draft.question, 1000, required=True),
        asked_on=check_asked_on(draft.asked_on, utcnow().date()),
    )
    session.add(row)
    session.flush()
    return row


def delete_chat_line(session: Session, webinar_id: int, line_id: int) -> None:
    """Remove a line of the chat script."""
    row = session.get(WebinarChatLine, line_id)
    if row is None or row.webinar_id != webinar_id:
        raise NotFound("line_id", f"no chat line {line_id} in webinar {webinar_id}")
    session.delete(row)
    session.flush()


def video_path(data_dir: Path, webinar: Webinar) -> Path | None:
    """Where the uploaded recording lies, when there is one and it is still there."""
    if not webinar.video_file:
        return None
    path = data_dir / webinar.video_file
    return path if path.is_file() else None


def forget_recordings(session: Session, data_dir: Path, webinar_id: int) -> None:
    """A deleted webinar's uploaded recordings and their folder leave the data folder once its
    deletion commits; a rollback keeps them with the row that names them."""
    folder = data_dir / "webinars" / str(webinar_id)
    if not folder.is_dir():
        return
    files = list(folder.iterdir())
    if not files:
        folder.rmdir()  # an empty folder keeps nothing a rollback would want back
        return
    for path in files:
        delete_when(session, path, "commit")
    # Registered after delete_when's own listeners, so the folder is empty when this runs.
    if _FOLDERS not in session.info:
        session.info[_FOLDERS] = set()
        event.listen(session, "after_commit", _remove_folders)
        event.listen(session, "after_transaction_end", _forget_folders)
    session.info[_FOLDERS].add(folder)


_FOLDERS = "evergreen.webinars.folders"  # session.info's key: folders to remove once committed


def _remove_folders(session: Session) -> None:
    """The whole unit of work committed and its files are gone: their folders go too."""
    if session.in_nested_transaction():
        return
    for folder in session.info[_FOLDERS]:
        # Gone already, or not empty (a savepoint that noted its files' deletion rolled back).
        with contextlib.suppress(OSError):
            folder.rmdir()
    session.info[_FOLDERS] = set()


def _forget_folders(session: Session, transaction: SessionTransaction) -> None:
    """The unit of work ended: nothing it noted waits for a later one."""
    if transaction.parent is None:
        session.info[_FOLDERS] = set()


def _recording(
    session: Session,
    data_dir: Path,
    webinar: Webinar,
    file: tuple[str, str, int] | None = None,
) -> None:
    """Make `file` (path, type, size) the webinar's uploaded recording, or none (flushed); the
    file it named before is deleted once that commits, so until then, and after a rollback,
    the row and the preview still find it."""
    replaced = webinar.video_file
    webinar.video_file, webinar.video_type, webinar.video_bytes = file or (None, None, None)
    session.flush()
    if replaced:
        delete_when(session, data_dir / replaced, "commit")


def set_video_url(session: Session, data_dir: Path, webinar_id: int, url: str) -> Webinar:
    """The recording is at a URL (http or https); an uploaded file is removed once committed."""
    webinar = get_webinar(session, webinar_id, lock=True)  # the file it names, as stored
    webinar.video_url = check_http_url("video_url", url, WebinarInputError)
    _recording(session, data_dir, webinar)
    return webinar


def store_video(
    session: Session,
    data_dir: Path,
    webinar_id: int,
    chunks: Iterable[bytes],
    limit: int = MAX_VIDEO_BYTES,
) -> Webinar:
    """Store an uploaded recording as it arrives: refused past `limit` bytes or when its first
    bytes are not mp4 or webm; it replaces the URL and any earlier upload (whose file is
    deleted once this commits; the new file is deleted if this rolls back)."""
    webinar = get_webinar(session, webinar_id)
    folder = data_dir / "webinars" / str(webinar.id)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"upload-{os.getpid()}-{secrets.token_hex(4)}.part"
    size, kind, head = 0, None, b""
    try:
        with partial.open("wb") as out:
            for chunk in chunks:
                if kind is None and len(head) < 64:
                    head += chunk[: 64 - len(head)]
                    kind = sniff_video(head) if len(head) >= 64 else None
                    if kind is None and len(head) >= 64:
                        raise WebinarInputError(
                            "video", "is not an mp4 or webm video; upload one of those"
                        )
                size += len(chunk)
                if size > limit:
                    raise VideoTooLarge(
                        "video", f"is larger than {limit // (1024 * 1024)} MB; upload a smaller one"
                    )
                out.write(chunk)
        kind = kind or sniff_video(head)
        if size == 0:
            raise WebinarInputError("video", "is empty; choose an mp4 or webm file")
        if kind is None:
            raise WebinarInputError("video", "is not an mp4 or webm video; upload one of those")
        # A name of its own: the file it replaces stays whole until this commits.
        name = f"recording-{secrets.token_hex(8)}.{VIDEO_TYPES[kind]}"
        partial.replace(folder / name)
    finally:
        partial.unlink(missing_ok=True)
    try:
        _keep(session, data_dir, webinar.id, (f"webinars/{webinar.id}/{name}", kind, size))
    except BaseException:  # the row was not written: the file it would name goes too
        (folder / name).unlink(missing_ok=True)
        raise
    delete_when(session, folder / name, "rollback")
    return webinar


def _keep(session: Session, data_dir: Path, webinar_id: int, file: tuple[str, str, int]) -> None:
    """The streamed file becomes the webinar's recording, under the webinar's lock (taken
    after the streaming, so a slow upload holds nothing): of two changes at once, the later
    replaces the earlier's file, which is deleted once this commits."""
    webinar = get_webinar(session, webinar_id, lock=True)  # the file it names, as stored
    webinar.video_url = None
    _recording(session, data_dir, webinar, file)


def store_video_file(
    session: Session, data_dir: Path, webinar_id: int, path: Path, limit: int = MAX_VIDEO_BYTES
) -> Webinar:
    """Store a recording from a file on this machine (the CLI's --file)."""
    if not path.is_file():
        raise WebinarInputError("file", f"there is no file at {str(path)[:200]}")
    return store_video(session, data_dir, webinar_id, read_chunks(path), limit)
