"""JSON routes of lending under /api/v1/lending: staff read the book, the owner changes it.
Money is a decimal string in cents ("1250.00"), dates YYYY-MM-DD, rates 0.12 or "12%"."""

from __future__ import annotations

from datetime import date
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import Field

from evergreen.db import utcnow
from evergreen.isodates import QueryDay
from evergreen.lending import queries, service
from evergreen.lending.models import BorrowerDocument, Draw, Movement
from evergreen.lending.rules.documents import MAX_DOCUMENT_BYTES
from evergreen.lending.rules.waivers import FeeLine
from evergreen.siteurl import site_url
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import MAX_ID, ApiOwner, ApiStaff, DbId, SessionDep, SettingsDep
from evergreen.web.gate import MIB, body_limit
from evergreen.web.uploads import chunks, spooled_body

__all__ = ["router"]

router = APIRouter(prefix="/lending", tags=["lending"])
_MONEY = Field(max_length=40, description="An amount in cents, e.g. '1250.00'.")
AsOf = Annotated[QueryDay | None, Query(description="YYYY-MM-DD; today if left out.")]
DrawId = Annotated[int, Query(ge=1, le=MAX_ID, description="The draw's ID.")]


def _today(as_of: date | None) -> date:
    return as_of or utcnow().date()


class BorrowerIn(RequestBody):
    """A person or LLC the owner lends to."""

    name: str = Field(max_length=200)
    kind: Literal["person", "llc"] = "person"
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    notes: str = Field("", max_length=5000)


@router.get("/borrowers", operation_id="list_lending_borrowers")
def list_borrowers(session: SessionDep, user: ApiStaff) -> list[dict[str, Any]]:
    """Every borrower, by name."""
    return [{"id": b.id, "name": b.name, "kind": b.kind, "email": b.email, "phone": b.phone}
            for b in service.borrowers(session)]  # fmt: skip


@router.post("/borrowers", status_code=201, operation_id="add_lending_borrower")
def add_borrower(body: BorrowerIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: add a borrower (names are unique)."""
    row = service.add_borrower(session, service.BorrowerDraft(**body.model_dump()))
    return {"id": row.id, "name": row.name, "kind": row.kind}


class PropertyIn(RequestBody):
    """The collateral, with what it cost, its rehab budget and after-repair value."""

    address: str = Field(max_length=300)
    purchase_price: str = Field("", max_length=40)
    rehab_budget: str = Field("", max_length=40)
    arv: str = Field("", max_length=40, description="After-repair value.")


@router.post("/properties", status_code=201, operation_id="add_lending_property")
def add_property(body: PropertyIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: add a property to lend against."""
    draft = service.PropertyDraft(body.address, body.purchase_price, body.rehab_budget, body.arv)
    return {"id": service.add_property(session, draft).id}


class LoanIn(RequestBody):
    """A loan; the borrower by name (added first). Principal is the cash lent at closing."""

    borrower: str = Field(max_length=200)
    principal: str = _MONEY
    annual_rate: str = Field(max_length=20, description="0.12, '12%' or '12' for 12 % a year.")
    months: int = Field(ge=1, le=600)
    start: date
    points: str = Field("0", max_length=20, description="% of the principal: '2' is 2 %.")
    points_financed: bool = False
    interest_only: bool = True
    amortization_months: int | None = Field(None, ge=1, le=600)
    day_count: Literal["30/360", "actual/360", "actual/365"] = "30/360"
    commitment: str = Field("", max_length=40, description="Draws allowed on top.")
    dutch: bool = False
    default_rate: str = Field("", max_length=20)
    default_after_days: int | None = Field(None, ge=0, le=3650)
    grace_days: int = Field(10, ge=0, le=365)
    late_fee: str = Field("0", max_length=40)
    late_fee_pct: str = Field("0", max_length=20)
    closing_fee: str = Field("0", max_length=40)
    draw_fee: str = Field("0", max_length=40)
    allocation: str = Field("", max_length=80, description="Order of the four parts.")
    property_id: int | None = Field(None, ge=1, le=MAX_ID)
    min_interest_months: int = Field(
        0, ge=0, le=600, description="Months of interest earned however early the payoff."
    )
    prepay_pct: str = Field("0", max_length=20, description="Premium, % of principal repaid.")
    prepay_months: int = Field(0, ge=0, le=600, description="The premium's months.")


@router.get("/loans", operation_id="list_lending_loans")
def list_loans(
    session: SessionDep, user: ApiStaff, status: str = "", as_of: AsOf = None
) -> list[dict[str, Any]]:
    """Loans, newest first, each as of a day (open, paid_off or charged_off with status)."""
    day = _today(as_of)
    return [queries.loan_detail(session, loan.id, day).to_dict()
            for loan in service.loans(session, status)]  # fmt: skip


@router.post("/loans", status_code=201, operation_id="add_lending_loan")
def add_loan(body: LoanIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: write a loan, funded on its start date (points not financed are received
    then); it posts to the loan's lending stream in the ledger."""
    draft = service.LoanDraft(**body.model_dump())
    loan = service.add_loan(session, draft)
    return queries.loan_detail(session, loan.id, loan.start).to_dict()


@router.get("/loans/{loan_id}", operation_id="get_lending_loan")
def get_loan(
    loan_id: DbId, session: SessionDep, user: ApiStaff, as_of: AsOf = None
) -> dict[str, Any]:
    """A loan as of a day: balance, accrued interest, next due, delinquency bucket, LTC/LTV."""
    return queries.loan_detail(session, loan_id, _today(as_of)).to_dict()


@router.get("/loans/{loan_id}/payoff", operation_id="get_lending_payoff")
def get_payoff(
    loan_id: DbId, session: SessionDep, user: ApiStaff, as_of: AsOf = None
) -> dict[str, float]:
    """The payoff quote: principal, interest (default interest included), fees, total, per diem."""
    return service.quote(session, loan_id, _today(as_of)).contract()


@router.get("/loans/{loan_id}/calendar", operation_id="get_lending_calendar")
def get_calendar(loan_id: DbId, session: SessionDep, user: ApiStaff) -> list[dict[str, str]]:
    """The expected payments: each due date's interest, principal and payment."""
    return queries.calendar(session, loan_id)


@router.get("/loans/{loan_id}/history", operation_id="get_lending_history")
def get_history(loan_id: DbId, session: SessionDep, user: ApiStaff) -> list[dict[str, str]]:
    """What happened to the loan, oldest first (funding, draws, payments, fees, extensions)."""
    return queries.history(session, loan_id)


def _movement(m: Movement) -> dict[str, Any]:
    return {"id": m.id, "kind": m.kind, "date": m.on.isoformat(), "amount": f"{m.amount:.2f}",
            "principal": f"{m.principal:.2f}", "interest": f"{m.interest:.2f}",
            "default_interest": f"{m.default_interest:.2f}", "fees": f"{m.fees:.2f}"}  # fmt: skip


class PaymentIn(RequestBody):
    """A payment received; every call records one, unless `key` names one recorded already."""

    date: date
    amount: str = _MONEY
    key: str | None = Field(
        None, min_length=1, max_length=150,
        description="Send the same key when retrying: the retry answers 200 with the payment "
        "recorded the first time; the key with another date or amount is a 409.",
    )  # fmt: skip


_REPLAYED: dict[int | str, dict[str, Any]] = {
    200: {"description": "A retry with a key sent before: the payment recorded then"},
}


@router.post("/loans/{loan_id}/payments", status_code=201, operation_id="add_lending_payment",
             responses=_REPLAYED)  # fmt: skip
def add_payment(
    loan_id: DbId, body: PaymentIn, session: SessionDep, user: ApiOwner, response: Response
) -> dict[str, Any]:
    """Owner only: record a payment, split by the loan's allocation order (201; a retry with
    its key: 200 and the payment recorded first)."""
    paid = service.record_payment(session, loan_id, body.date, body.amount, body.key)
    if not paid.created:
        response.status_code = 200
    return _movement(paid.movement)


def _fee(line: FeeLine) -> dict[str, Any]:
    return {"id": line.id, "date": line.on.isoformat(), "note": line.note,
            "charged": f"{line.charged:.2f}", "paid": f"{line.paid:.2f}",
            "waived": f"{line.waived:.2f}", "written_off": f"{line.written_off:.2f}",
            "owed": f"{line.left:.2f}"}  # fmt: skip


@router.get("/loans/{loan_id}/fees", operation_id="list_lending_fees")
def list_fees(loan_id: DbId, session: SessionDep, user: ApiStaff) -> list[dict[str, Any]]:
    """Every fee charged on the loan, oldest first: charged, paid, waived, written off, owed."""
    return [_fee(line) for line in service.fees_of(session, loan_id)]


class FeeWaiverIn(RequestBody):
    """A fee waived, all or part of what is still owed on it, with the reason."""

    date: date
    amount: str | None = Field(
        None, max_length=40, description="Leave out to waive all that is still owed on the fee."
    )
    reason: str = Field(max_length=2000, description="Why, for the loan's history (required).")
    key: str | None = Field(
        None, min_length=1, max_length=150,
        description="Send the same key when retrying: the retry answers 200 with the waiver "
        "recorded the first time; the key with another date, amount or reason is a 409.",
    )  # fmt: skip


@router.post("/loans/{loan_id}/fees/{fee_id}/waivers", status_code=201,
             operation_id="waive_lending_fee",
             responses={200: {"description": "A retry with a key sent before: the waiver "
                              "recorded then"}})  # fmt: skip
def waive_fee(
    loan_id: DbId, fee_id: DbId, body: FeeWaiverIn, session: SessionDep, user: ApiOwner,
    response: Response,
) -> dict[str, Any]:  # fmt: skip
    """Owner only: waive a fee, all or part of what is still owed on it; it is no longer owed
    and its fee income is reversed for the part (201; a retry with its key: 200)."""
    waived = service.waive_fee(session, loan_id, fee_id, body.date, body.amount, body.reason,
                               body.key)  # fmt: skip
    if not waived.created:
        response.status_code = 200
    return {**_movement(waived.movement), "fee_id": fee_id, "note": waived.movement.note}


class PayoffIn(RequestBody):
    """The payoff received on a day; an amount, if sent, must be the quote's total."""

    date: date
    amount: str | None = Field(None, max_length=40)


@router.post("/loans/{loan_id}/payoff", operation_id="pay_off_lending_loan")
def pay_off(loan_id: DbId, body: PayoffIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: receive the payoff and close the loan."""
    return _movement(service.pay_off(session, loan_id, body.date, body.amount))


class ExtensionIn(RequestBody):
    """A new maturity for a fee."""

    maturity: date
    fee: str = Field("0", max_length=40)
    date: date


@router.post("/loans/{loan_id}/extension", operation_id="extend_lending_loan")
def extend(loan_id: DbId, body: ExtensionIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: move maturity later; the fee is owed from the day."""
    loan = service.extend(session, loan_id, body.maturity, body.fee, body.date)
    return {"id": loan.id, "maturity": loan.maturity.isoformat()}


class DatedIn(RequestBody):
    """A day, and a note."""

    date: date
    note: str = Field("", max_length=500)


@router.post("/loans/{loan_id}/charge-off", operation_id="charge_off_lending_loan")
def charge_off(loan_id: DbId, body: DatedIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: write the loan off (principal and fees owed become a loss)."""
    return _movement(service.charge_off(session, loan_id, body.date, body.note))


class RecoveryIn(RequestBody):
    """Money recovered after a charge-off."""

    date: date
    amount: str = _MONEY


@router.post("/loans/{loan_id}/recoveries", status_code=201, operation_id="add_lending_recovery")
def add_recovery(
    loan_id: DbId, body: RecoveryIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: money recovered on a charged-off loan."""
    return _movement(service.record_recovery(session, loan_id, body.date, body.amount))


def _draw(d: Draw) -> dict[str, Any]:
    """A draw with the day of each step it went through (null for the steps it did not)."""
    steps = {"inspected_on": d.inspected_on, "approved_on": d.approved_on,
             "funded_on": d.funded_on, "rejected_on": d.rejected_on}  # fmt: skip
    return {"id": d.id, "loan_id": d.loan_id, "amount": f"{d.amount:.2f}", "fee": f"{d.fee:.2f}",
            "status": d.status, "requested_on": d.requested_on.isoformat(),
            **{k: v.isoformat() if v else None for k, v in steps.items()}}  # fmt: skip


class DrawIn(RequestBody):
    """A draw asked for against the commitment; every call asks for one, unless `key` names one
    asked for already."""

    amount: str = _MONEY
    date: date
    note: str = Field("", max_length=500)
    key: str | None = Field(
        None, min_length=1, max_length=150,
        description="Send the same key when retrying: the retry answers 200 with the draw "
        "requested the first time; the key with another amount, date or note is a 409.",
    )  # fmt: skip


@router.post("/loans/{loan_id}/draws", status_code=201, operation_id="request_lending_draw",
             responses={200: {"description": "A retry with a key sent before: the draw "
                              "requested then"}})  # fmt: skip
def request_draw(
    loan_id: DbId, body: DrawIn, session: SessionDep, user: ApiOwner, response: Response
) -> dict[str, Any]:
    """Owner only: record a draw request (201; a retry with its key: 200 and the draw requested
    first)."""
    asked = service.request_draw(session, loan_id, body.amount, body.date, body.note, body.key)
    if not asked.created:
        response.status_code = 200
    return _draw(asked.draw)


class DrawStepIn(RequestBody):
    """The day of a draw's step."""

    date: date


@router.post("/draws/{draw_id}/{action}", operation_id="step_lending_draw")
def step_draw(
    draw_id: DbId,
    action: Literal["inspect", "approve", "fund", "reject"],
    body: DrawStepIn,
    session: SessionDep,
    user: ApiOwner,
) -> dict[str, Any]:
    """Owner only: inspect, approve, fund (money out, fee charged) or reject a draw."""
    return _draw(service.draw_action(session, draw_id, action, body.date))


@router.get("/portfolio", operation_id="get_lending_portfolio")
def get_portfolio(session: SessionDep, user: ApiStaff, as_of: AsOf = None) -> dict[str, Any]:
    """The book on a day: deployed, loans, XIRR, weighted rate, buckets, maturities and
    concentration per borrower."""
    return queries.portfolio(session, _today(as_of)).to_dict()


@router.post("/borrowers/{borrower_id}/invite", operation_id="invite_lending_borrower")
def invite_borrower(
    borrower_id: DbId, request: Request, session: SessionDep, user: ApiOwner
) -> dict[str, str]:
    """Owner only: a signed link (7 days, once) where the borrower sets a portal password; a
    password-reset link when they already sign in. Earlier invitations stop working."""
    link = service.issue_invite(session, request.app.state.secret, site_url(request), borrower_id)
    return {"kind": link.kind, "url": link.url, "expires_at": link.expires_at.isoformat()}


@router.get("/photos", operation_id="list_lending_draw_photos")
def list_draw_photos(draw_id: DrawId, session: SessionDep, user: ApiStaff) -> list[dict[str, Any]]:
    """The photos a borrower sent with a draw request; each opens at its page URL."""
    return [{"id": p.id, "name": p.name, "media_type": p.media_type, "size": p.size,
             "url": f"/lending/draw-photos/{p.id}"}
            for p in service.draw_photos(session, draw_id)]  # fmt: skip


class SettingsIn(RequestBody):
    """The owner's lending settings."""

    capital_available: str = Field(
        "", max_length=40, description="Capital set aside for lending; empty: not said."
    )


@router.put("/settings", operation_id="put_lending_settings")
def put_settings(body: SettingsIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: the capital available for lending; the portfolio's idle is it less deployed."""
    value = service.set_capital_available(session, body.capital_available)
    return {"capital_available": None if value is None else f"{value:.2f}"}


DocumentBody = Annotated[IO[bytes], Depends(spooled_body(lambda: MAX_DOCUMENT_BYTES, "document"))]
DocumentKind = Literal["id", "operating_agreement", "insurance", "appraisal", "title", "other"]


def _document(row: BorrowerDocument) -> dict[str, Any]:
    return {"id": row.id, "borrower_id": row.borrower_id, "kind": row.kind, "note": row.note,
            "name": row.name, "media_type": row.media_type, "size_bytes": row.size,
            "created_at": row.created_at.isoformat()}  # fmt: skip


@router.get("/borrowers/{borrower_id}/documents", operation_id="list_lending_documents")
def list_documents(borrower_id: DbId, session: SessionDep, user: ApiStaff) -> list[dict[str, Any]]:
    """A borrower's documents, newest first."""
    service.get_borrower(session, borrower_id)
    return [_document(row) for row in service.documents_of(session, borrower_id)]


@router.post(
    "/borrowers/{borrower_id}/documents",
    status_code=201,
    operation_id="upload_lending_document",
    dependencies=[body_limit(MAX_DOCUMENT_BYTES + MIB)],  # the 413 below names the limit first
)
def upload_document(
    borrower_id: DbId,
    spool: DocumentBody,
    session: SessionDep,
    settings: SettingsDep,
    user: ApiStaff,
    kind: Annotated[DocumentKind, Query(description="What the document is.")],
    name: Annotated[str, Query(max_length=200, description="The file name it downloads as.")],
    note: Annotated[str, Query(max_length=500)] = "",
) -> dict[str, Any]:
    """Owner or staff (as on the page): a PDF or image as the raw body, filed on the borrower."""
    row = service.add_document(session, settings.data_dir, borrower_id, kind, note, name,
                               chunks(spool))  # fmt: skip
    return _document(row)


@router.delete(
    "/borrowers/{borrower_id}/documents/{document_id}",
    status_code=204,
    operation_id="remove_lending_document",
)
def remove_document(
    borrower_id: DbId, document_id: DbId, session: SessionDep, settings: SettingsDep,
    user: ApiOwner,
) -> Response:  # fmt: skip
    """Owner only: take a document off the borrower and out of the data folder."""
    service.remove_document(session, settings.data_dir, borrower_id, document_id)
    return Response(status_code=204)
