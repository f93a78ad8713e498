"""A borrower's documents for the owner and staff: the list, an upload form (owner or staff),
downloads, and the owner's removal after a confirmation step."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from evergreen.digits import is_digits
from evergreen.errors import InputError
from evergreen.lending import service
from evergreen.lending.models import BorrowerDocument
from evergreen.lending.rules.documents import DOCUMENT_KINDS, MAX_DOCUMENT_BYTES
from evergreen.lending.views.common import PREFIX
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep, SettingsDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.gate import MIB, body_limit
from evergreen.web.templates import render

__all__ = ["DocumentForm", "document_response", "router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)
_BODY = MAX_DOCUMENT_BYTES + MIB  # the multipart envelope around the file


def document_response(path: Path, row: BorrowerDocument) -> Response:
    """A stored document as a download under its own name, never kept by a shared cache."""
    return FileResponse(
        str(path), media_type=row.media_type, filename=row.name,
        headers={"Cache-Control": "private, no-store"},  # nosniff: the app sets it on all
    )  # fmt: skip


async def _posted(request: Request) -> AsyncIterator[FormData]:
    """The posted form (one file at most), its spooled upload closed once the route is done."""
    length = request.headers.get("content-length", "")
    if is_digits(length) and int(length) > _BODY:
        raise HTTPException(
            413, f"Too large: a document is at most {MAX_DOCUMENT_BYTES // MIB} MB."
        )
    posted = await request.form(max_files=1)
    try:
        yield posted
    finally:
        await posted.close()


DocumentForm = Annotated[FormData, Depends(_posted)]
Confirm = Annotated[str, Form(max_length=10)]


def file_chunks(posted: FormData) -> tuple[str, Iterator[bytes]]:
    """The uploaded file's name and its bytes in pieces; a form without one is refused."""
    item = posted.get("file")
    if not isinstance(item, UploadFile) or not item.filename:
        raise InputError("file", "choose a PDF or an image to upload")

    def chunks() -> Iterator[bytes]:
        while chunk := item.file.read(256 * 1024):
            yield chunk

    return item.filename, chunks()


def _page(
    request: Request, session: Session, borrower_id: int, *,
    error: InputError | None = None, posted: dict[str, str] | None = None, done: str = "",
) -> Response:  # fmt: skip
    borrower = service.get_borrower(session, borrower_id)
    context: dict[str, Any] = {
        "title": f"Documents of {borrower.name}", "borrower": borrower,
        "documents": service.documents_of(session, borrower.id), "kinds": DOCUMENT_KINDS,
        "max_mb": MAX_DOCUMENT_BYTES // MIB, "errors": {"document": error} if error else {},
        "posted": posted or {}, "done": done,
    }  # fmt: skip
    return render(request, "lending/documents.html", context, status_code=400 if error else 200)


@router.get("/borrowers/{borrower_id}/documents")
def documents_page(
    request: Request, user: DashboardUser, session: SessionDep, borrower_id: DbId, done: str = ""
) -> Response:
    """A borrower's documents, newest first."""
    said = {"added": "Document added.", "removed": "Document removed."}.get(done, "")
    return _page(request, session, borrower_id, done=said)


@router.post("/borrowers/{borrower_id}/documents", dependencies=[body_limit(_BODY)])
def upload_document(
    request: Request, user: DashboardUser, _csrf: CsrfProtected, session: SessionDep,
    settings: SettingsDep, page: FormPageDep, posted: DocumentForm, borrower_id: DbId,
) -> Response:  # fmt: skip
    """Owner or staff: file a PDF or image on the borrower, with its kind and a note."""
    service.get_borrower(session, borrower_id)
    kind, note = str(posted.get("kind", ""))[:40], str(posted.get("note", ""))[:600]
    page.on_error(lambda error: _page(request, session, borrower_id, error=error,
                                      posted={"kind": kind, "note": note}))  # fmt: skip
    name, chunks = file_chunks(posted)
    service.add_document(session, settings.data_dir, borrower_id, kind, note, name, chunks)
    return RedirectResponse(f"{PREFIX}/borrowers/{borrower_id}/documents?done=added", 303)


@router.get("/borrowers/{borrower_id}/documents/{document_id}")
def download_document(
    user: DashboardUser, session: SessionDep, settings: SettingsDep, borrower_id: DbId,
    document_id: DbId,
) -> Response:  # fmt: skip
    """One of the borrower's documents, as a download."""
    row = service.get_document(session, borrower_id, document_id)
    return document_response(service.document_file(settings.data_dir, row), row)


@router.post("/borrowers/{borrower_id}/documents/{document_id}/remove")
def remove_document(
    request: Request, user: OwnerUser, _csrf: CsrfProtected, session: SessionDep,
    settings: SettingsDep, borrower_id: DbId, document_id: DbId, confirm: Confirm = "",
) -> Response:  # fmt: skip
    """Owner only: take a document off the borrower, once confirmed."""
    row = service.get_document(session, borrower_id, document_id)
    back = f"{PREFIX}/borrowers/{borrower_id}/documents"
    step = Confirmation(
        title=f"Remove {row.name}?",
        consequence="The document is deleted from the data folder; this cannot be undone.",
        button="Remove document",
        cancel=back,
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    service.remove_document(session, settings.data_dir, borrower_id, document_id)
    return RedirectResponse(f"{back}?done=removed", status_code=303)
