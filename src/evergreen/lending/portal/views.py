"""The borrower portal's pages. Every one starts from the borrower the signed-in account stands
for; a loan, letter or photo of anyone else answers 404, as one that does not exist."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from evergreen.db import utcnow
from evergreen.errors import InputError
from evergreen.lending import queries, service
from evergreen.lending.models import Borrower
from evergreen.lending.rules.letters import LETTER_DAYS_AHEAD
from evergreen.lending.rules.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from evergreen.lending.views.letters import DayText, letter_download, read_day
from evergreen.lending.views.photos import photo_response
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import BorrowerUser, DbId, SessionDep, SettingsDep
from evergreen.web.forms import FormPageDep
from evergreen.web.gate import MIB, body_limit
from evergreen.web.templates import render
from evergreen.web.uploads import length_gate

__all__ = ["PortalBorrower", "linked", "router"]

router = APIRouter(prefix="/borrower", include_in_schema=False)
_SLACK = 1024 * 1024  # the multipart envelope around the photos
_BODY = MAX_PHOTOS * MAX_PHOTO_BYTES + _SLACK


def _own_borrower(user: BorrowerUser, session: SessionDep) -> Borrower | None:
    """The borrower the signed-in borrower account stands for; None while not linked."""
    return service.borrower_of_user(session, user.id)


PortalBorrower = Annotated[Borrower | None, Depends(_own_borrower)]


def linked(borrower: Borrower | None) -> Borrower:
    """The borrower, or a 404 for an account no borrower names (it has nothing to show)."""
    if borrower is None:
        raise HTTPException(404, "This account is not linked to a borrower; ask your lender.")
    return borrower


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return render(request, f"lending/portal/{name}.html", context, status_code=status)


@router.get("")
def loans_page(request: Request, session: SessionDep, borrower: PortalBorrower) -> Response:
    """The borrower's loans with what each owes today."""
    if borrower is None:
        return _page(request, "unlinked", {"title": "Not linked yet", "nav": None}, 403)
    today = utcnow().date()
    rows = [queries.loan_detail(session, loan.id, max(today, loan.start))
            for loan in service.own_loans(session, borrower)]  # fmt: skip
    context = {"title": "Your loans", "nav": "loans", "borrower": borrower, "loans": rows}
    return _page(request, "loans", context)


def show_loan(
    request: Request,
    session: SessionDep,
    borrower: Borrower,
    loan_id: int,
    *,
    error: InputError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    """One loan: position, statement (movements), draws with photos, the payoff and draw forms."""
    loan = service.own_loan(session, borrower, loan_id)
    today = utcnow().date()
    context: dict[str, Any] = {
        "title": f"Loan {loan.id}", "nav": "loans", "borrower": borrower, "loan": loan,
        "view": queries.loan_detail(session, loan.id, max(today, loan.start)),
        "movements": service.statement(session, loan), "draws": service.draws_of(session, loan.id),
        "today": today, "days_ahead": LETTER_DAYS_AHEAD, "max_photos": MAX_PHOTOS,
        "max_mb": MAX_PHOTO_BYTES // (1024 * 1024), "error": error, "form": form or {},
        "done": request.query_params.get("done", ""),
        "draw_key": secrets.token_urlsafe(18),  # the draw form's nonce: sent twice, one request
    }  # fmt: skip
    return _page(request, "loan", context, 400 if error else 200)


@router.get("/loans/{loan_id:int}")
def loan_page(
    request: Request, loan_id: DbId, session: SessionDep, borrower: PortalBorrower
) -> Response:
    """One of the borrower's loans."""
    return show_loan(request, session, linked(borrower), loan_id)


@router.get("/loans/{loan_id:int}/payoff-letter.pdf")
def payoff_letter(
    request: Request,
    loan_id: DbId,
    session: SessionDep,
    settings: SettingsDep,
    borrower: PortalBorrower,
    form: FormPageDep,
    as_of: DayText = "",
) -> Response:
    """The payoff letter of the borrower's own loan, for a day from today up to 90 days ahead."""
    own = linked(borrower)
    loan = service.own_loan(session, own, loan_id)
    form.on_error(lambda error: show_loan(request, session, own, loan.id, error=error,
                                          form={"as_of": as_of}))  # fmt: skip
    today = utcnow().date()
    letter = service.letter_of(session, loan.id, read_day(as_of, today), today,
                               settings.lending_wire_instructions, borrower=True)  # fmt: skip
    return letter_download(letter, settings)


async def _posted(request: Request) -> AsyncIterator[FormData]:
    """The posted form, its spooled uploads closed once the route is done."""
    posted = await request.form(max_files=MAX_PHOTOS + 1)
    try:
        yield posted
    finally:
        await posted.close()


PostedForm = Annotated[FormData, Depends(_posted)]


_TOO_LARGE = f"Too large: at most {MAX_PHOTOS} photos of {MAX_PHOTO_BYTES // MIB} MB each."
SizeGate = Annotated[None, length_gate(_BODY, _TOO_LARGE)]


def _chunks(upload: UploadFile) -> Iterator[bytes]:
    while chunk := upload.file.read(256 * 1024):
        yield chunk


@router.post("/loans/{loan_id:int}/draws", dependencies=[body_limit(_BODY)])
def request_draw(
    request: Request,
    loan_id: DbId,
    session: SessionDep,
    settings: SettingsDep,
    borrower: PortalBorrower,
    _gate: SizeGate,
    _csrf: CsrfProtected,
    form: FormPageDep,
    posted: PostedForm,
) -> Response:
    """A draw request on the borrower's own loan, with photos of the work done; a form sent twice
    (its nonce) is one request."""
    own = linked(borrower)
    loan = service.own_loan(session, own, loan_id)
    amount, note = str(posted.get("amount", ""))[:40], str(posted.get("note", ""))[:500]
    nonce = str(posted.get("key", ""))[:200]  # the page's, so a form sent twice is one request
    kept = {"amount": amount, "note": note, "key": nonce}
    form.on_error(lambda error: show_loan(request, session, own, loan.id, error=error, form=kept))
    photos = [service.PhotoUpload(item.filename or "photo", _chunks(item))
              for item in posted.getlist("photos")
              if isinstance(item, UploadFile) and item.filename]  # fmt: skip
    service.request_draw_with_photos(session, settings.data_dir, own, loan.id, amount,
                                     utcnow().date(), note, photos,
                                     f"form:{nonce}" if nonce else None)  # fmt: skip
    return RedirectResponse(f"/borrower/loans/{loan.id}?done=draw#draws", status_code=303)


@router.get("/photos/{photo_id:int}")
def photo(
    photo_id: DbId, session: SessionDep, settings: SettingsDep, borrower: PortalBorrower
) -> Response:
    """A photo the borrower sent with one of their own draws."""
    found = service.own_photo(session, linked(borrower), photo_id)
    return photo_response(service.photo_file(settings.data_dir, found), found.media_type)
