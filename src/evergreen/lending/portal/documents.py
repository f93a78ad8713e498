"""The borrower's own documents in the portal, read-only; another borrower's answers 404."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from evergreen.lending import service
from evergreen.lending.portal.views import PortalBorrower, linked
from evergreen.lending.rules.documents import DOCUMENT_KINDS
from evergreen.lending.views.documents import document_response
from evergreen.web.deps import DbId, SessionDep, SettingsDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/borrower", include_in_schema=False)


@router.get("/documents")
def documents_page(request: Request, session: SessionDep, borrower: PortalBorrower) -> Response:
    """The documents the lender keeps on the borrower."""
    own = linked(borrower)
    rows = service.documents_of(session, own.id)
    context = {"title": "Your documents", "nav": "documents", "borrower": own,
               "documents": rows, "kinds": DOCUMENT_KINDS}  # fmt: skip
    return render(request, "lending/portal/documents.html", context)


@router.get("/documents/{document_id:int}")
def document(
    document_id: DbId, session: SessionDep, settings: SettingsDep, borrower: PortalBorrower
) -> Response:
    """One of the borrower's own documents, as a download."""
    own = linked(borrower)
    row = service.get_document(session, own.id, document_id)
    return document_response(service.document_file(settings.data_dir, row), row)
