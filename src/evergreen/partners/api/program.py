"""JSON routes of the affiliate program: partners, terms, conversions and commissions."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, Field

from evergreen.db import utcnow
from evergreen.links.queries import SpooledClicks
from evergreen.money import show_money
from evergreen.partners import queries, service
from evergreen.partners.api.schemas import PartnerDetailOut
from evergreen.partners.models import Commission, Conversion, Partner, Program
from evergreen.partners.rules import EventType, HandAction, Status
from evergreen.partners.service import ConversionIn
from evergreen.siteurl import site_url
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import (
    MAX_ID,
    ApiOwner,
    ApiStaff,
    DbId,
    DbIdQuery,
    SessionDep,
    SettingsDep,
)
from evergreen.web.downloads import file_answer
from evergreen.web.gate import MIB, body_limit

__all__ = ["router"]

router = APIRouter(prefix="/partners", tags=["partners"])


def _program(session: SessionDep, _caller: ApiStaff) -> Program:
    """The program the caller works on (the caller is checked first: 401/403 before 404)."""
    return service.default_program(session)


ProgramDep = Annotated[Program, Depends(_program)]


def _partner(partner_id: DbId, session: SessionDep, program: ProgramDep) -> Partner:
    """The partner named in the path, or 404."""
    return service.get_partner(session, program, partner_id)


PartnerDep = Annotated[Partner, Depends(_partner)]
Money = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=4)]


class PartnerIn(RequestBody):
    """A partner to add."""

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254)
    group: str = Field("", max_length=50)
    status: Literal["pending", "active", "suspended"] = "pending"
    recruited_by_id: int | None = Field(None, ge=1, le=MAX_ID)


class PartnerOut(BaseModel):
    """A partner as shown to the owner and staff."""

    id: int
    name: str
    email: str
    group: str
    status: str
    recruited_by_id: int | None

    @classmethod
    def of(cls, row: Partner) -> PartnerOut:
        """Project the row."""
        return cls(
            id=row.id, name=row.name, email=row.email, group=row.group, status=row.status,
            recruited_by_id=row.recruited_by_id,
        )  # fmt: skip


@router.get("", operation_id="list_partners")
def list_partners(session: SessionDep, user: ApiStaff, program: ProgramDep) -> list[PartnerOut]:
    """Every partner of the program."""
    return [PartnerOut.of(row) for row in service.list_partners(session, program)]


@router.post("", status_code=201, operation_id="create_partner")
def create_partner(
    request: Request,
    body: PartnerIn,
    session: SessionDep,
    settings: SettingsDep,
    user: ApiStaff,
    program: ProgramDep,
) -> PartnerDetailOut:
    """Invite a partner (pending until approved, unless created active), with a referral link
    to the program's landing page when one is set."""
    row = service.create_partner(session, program, **body.model_dump())
    return PartnerDetailOut.of(session, settings, site_url(request), row)


class StatusIn(RequestBody):
    """A partner's new status."""

    status: Literal["pending", "active", "suspended"]


@router.post("/{partner_id:int}/status", operation_id="set_partner_status")
def set_partner_status(
    partner_id: DbId, body: StatusIn, session: SessionDep, user: ApiStaff, partner: PartnerDep
) -> PartnerOut:
    """Approve, suspend or reinstate a partner."""
    return PartnerOut.of(service.set_status(session, partner, body.status))


class SlugIn(RequestBody):
    """A tracking link to give to a partner."""

    slug: str = Field(min_length=1, max_length=64)


class CodeIn(RequestBody):
    """A coupon code for a partner."""

    code: str = Field(min_length=1, max_length=50)


@router.post("/{partner_id:int}/links", status_code=201, operation_id="assign_partner_link")
def assign_partner_link(
    partner_id: DbId, body: SlugIn, session: SessionDep, user: ApiStaff, partner: PartnerDep
) -> dict[str, Any]:
    """Give a tracking link to a partner."""
    row = service.assign_link(session, partner, body.slug)
    return {"partner_id": row.partner_id, "link_id": row.link_id, "slug": body.slug.lower()}


@router.post("/{partner_id:int}/coupons", status_code=201, operation_id="add_partner_coupon")
def add_partner_coupon(
    partner_id: DbId, body: CodeIn, session: SessionDep, user: ApiStaff, partner: PartnerDep
) -> dict[str, Any]:
    """Give a coupon code to a partner."""
    coupon = service.add_coupon(session, partner, body.code)
    return {"partner_id": partner.id, "code": coupon.code}


class TermsIn(RequestBody):
    """The next version of a group's commission terms."""

    kind: Literal["flat", "percent"]
    rate: Money
    duration: Literal["one_time", "months", "payments", "lifetime"] = "one_time"
    duration_count: int | None = Field(None, ge=1, le=1200)
    lead_amount: Money = Decimal(0)
    recruiter_rate: Decimal = Field(Decimal(0), ge=0, le=100)
    group: str = Field("", max_length=50)
    effective_from: AwareDatetime | None = None


@router.post("/terms", status_code=201, operation_id="add_commission_terms")
def add_commission_terms(
    body: TermsIn, session: SessionDep, user: ApiOwner, program: ProgramDep
) -> dict[str, Any]:
    """Owner only: add terms; customers attributed earlier keep the version they got."""
    row = service.add_terms(session, program, service.TermsDraft(**body.model_dump()))
    return {"id": row.id, "group": row.group, "version": row.version}


_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


class ConversionBody(RequestBody):
    """A lead, sale, renewal, refund or chargeback; replays with the same key change nothing."""

    idempotency_key: str = Field(min_length=1, max_length=200)
    event: Literal["lead", "sale", "renewal", "refund", "chargeback"]
    amount: Money
    currency: str = Field(min_length=3, max_length=3)
    customer_id: str = Field(min_length=1, max_length=200)
    customer_email: str = Field("", max_length=254)
    order_id: str = Field("", max_length=200)
    click_id: str = Field("", max_length=64)
    coupon: str = Field("", max_length=50)
    # Bounded so the attribution window before it and the holding period after it stay dates.
    occurred_at: AwareDatetime | None = Field(None, ge=_EARLIEST, le=_LATEST)


class CommissionOut(BaseModel):
    """A commission with the rule that earned it."""

    id: int
    partner_id: int
    kind: str
    amount: str = Field(description="Money as a string with two decimals: 12.50.")
    currency: str
    status: str
    reason: str
    attribution_rule: str
    hold_reasons: list[str]
    created_at: datetime

    @classmethod
    def of(cls, row: Commission) -> CommissionOut:
        """Project the row."""
        return cls(
            id=row.id, partner_id=row.partner_id, kind=row.kind, amount=show_money(row.amount),
            currency=row.currency, status=row.status, reason=row.reason,
            attribution_rule=row.attribution_rule, hold_reasons=list(row.hold_reasons or []),
            created_at=row.created_at,
        )  # fmt: skip


class ConversionOut(BaseModel):
    """What the conversion did."""

    id: int
    status: str
    note: str
    partner_id: int | None
    duplicate: bool
    commissions: list[CommissionOut]
    attributed_by: str = ""
    attributed_at: datetime | None = None

    @classmethod
    def of(cls, result: service.Recorded) -> ConversionOut:
        """Project what recording (or attributing) did."""
        conversion: Conversion = result.conversion
        return cls(
            id=conversion.id, status=conversion.status, note=conversion.note,
            partner_id=conversion.partner_id, duplicate=result.duplicate,
            commissions=[CommissionOut.of(c) for c in result.commissions],
            attributed_by=conversion.attributed_by, attributed_at=conversion.attributed_at,
        )  # fmt: skip


def _event(body: ConversionBody, now: datetime) -> ConversionIn:
    """The service's value of a posted event (received now unless it says when it happened)."""
    return ConversionIn(
        **body.model_dump(exclude={"event", "occurred_at"}),
        event=EventType(body.event),
        occurred_at=body.occurred_at or now,
    )


@router.post("/conversions", status_code=201, operation_id="record_conversion")
def record_conversion(
    body: ConversionBody,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    user: ApiStaff,
    program: ProgramDep,
) -> ConversionOut:
    """Record a conversion (201), or acknowledge a replay of one already recorded (200)."""
    result = service.record_conversion(
        session, program, _event(body, utcnow()), actor=user.email,
        spooled=SpooledClicks.of(settings),  # a click answered a moment ago counts too
    )  # fmt: skip
    if result.duplicate:
        response.status_code = 200
    return ConversionOut.of(result)


class AttributeIn(RequestBody):
    """The partner an unattributed conversion goes to, and why."""

    partner_id: int = Field(ge=1, le=MAX_ID)
    note: str = Field("", max_length=200)


@router.post("/conversions/{conversion_id}/attribute", operation_id="attribute_conversion")
def attribute_conversion(
    conversion_id: DbId,
    body: AttributeIn,
    session: SessionDep,
    user: ApiOwner,
    program: ProgramDep,
) -> ConversionOut:
    """Owner only: attribute an unattributed conversion to a partner by hand (logged)."""
    result = service.attribute_by_hand(
        session, program, conversion_id, body.partner_id, actor=user.email, note=body.note
    )
    return ConversionOut.of(result)


class BatchBody(RequestBody):
    """Up to 1,000 events, recorded in one transaction and in this order."""

    events: list[ConversionBody] = Field(min_length=1, max_length=1000)


class RecordedOut(BaseModel):
    """What one event of a batch did."""

    id: int
    status: str
    note: str
    partner_id: int | None
    duplicate: bool
    commission_ids: list[int]


class BatchOut(BaseModel):
    """Each event's result, in the order the events were sent."""

    recorded: int
    duplicates: int
    results: list[RecordedOut]


@router.post(
    "/conversions/batch",
    status_code=201,
    operation_id="record_conversions_batch",
    dependencies=[body_limit(4 * MIB)],  # up to 1,000 events
)
def record_conversions_batch(
    body: BatchBody,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    user: ApiStaff,
    program: ProgramDep,
) -> BatchOut:
    """Record a batch (201), or acknowledge one that only replays recorded events (200)."""
    now = utcnow()
    events = [_event(item, now) for item in body.events]
    results = service.record_conversions(
        session, program, events, actor=user.email, spooled=SpooledClicks.of(settings)
    )
    out = [
        RecordedOut(
            id=r.conversion.id, status=r.conversion.status, note=r.conversion.note,
            partner_id=r.conversion.partner_id, duplicate=r.duplicate,
            commission_ids=[c.id for c in r.commissions],
        )
        for r in results
    ]  # fmt: skip
    duplicates = sum(r.duplicate for r in out)
    if duplicates == len(out):
        response.status_code = 200
    return BatchOut(recorded=len(out) - duplicates, duplicates=duplicates, results=out)


@router.get("/commissions", operation_id="list_commissions")
def list_commissions(
    session: SessionDep,
    user: ApiStaff,
    program: ProgramDep,
    partner_id: DbIdQuery = None,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[CommissionOut]:
    """Commissions, newest first (of one status when asked: an unknown one is refused)."""
    rows = queries.commissions(session, program, partner_id=partner_id, status=status, limit=limit)
    return [CommissionOut.of(row) for row in rows]


@router.post("/commissions/approve-due", operation_id="approve_due_commissions")
def approve_due_commissions(
    session: SessionDep, user: ApiStaff, program: ProgramDep
) -> dict[str, int]:
    """Approve every commission whose holding period has passed."""
    return {"approved": service.approve_due(session, program, utcnow(), actor=user.email)}


class ActionIn(RequestBody):
    """A manual status change with a note."""

    note: str = Field("", max_length=300)


@router.post("/commissions/{commission_id}/{action}", operation_id="change_commission_status")
def change_commission_status(
    commission_id: DbId,
    action: HandAction,
    body: ActionIn,
    session: SessionDep,
    user: ApiStaff,
    program: ProgramDep,
) -> CommissionOut:
    """Hold, release, reject or approve one commission."""
    row = service.change_status(
        session, program, commission_id, action, actor=user.email, note=body.note
    )
    return CommissionOut.of(row)


@router.post(
    "/payouts",
    status_code=201,
    operation_id="create_payout",
    responses={200: {"description": "Nothing is due: no payout was made"}},
)
def create_payout(
    session: SessionDep, user: ApiOwner, response: Response, program: ProgramDep
) -> dict[str, Any]:
    """Owner only: batch every approved commission of partners above the threshold."""
    payout = service.create_payout(session, program, actor=user.email, now=utcnow())
    if payout is None:
        response.status_code = 200
        return {"payout": None, "message": "nothing is due: no partner is above the threshold"}
    return {"payout": payout.id, "status": payout.status}


@router.post("/payouts/{payout_id}/paid", operation_id="mark_payout_paid")
def mark_payout_paid(
    payout_id: DbId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    user: ApiOwner,
    program: ProgramDep,
) -> dict[str, Any]:
    """Owner only: record that the payout was sent; each partner it pays is emailed a notice
    after the answer when email is set up (once, however often this is called)."""
    payout = service.mark_paid(session, program, payout_id, actor=user.email, now=utcnow())
    background.add_task(
        service.send_due_notices, request.app.state.db, settings, payout_id=payout.id
    )
    return {"payout": payout.id, "status": payout.status}


@router.get(
    "/payouts/{payout_id}/export.csv",
    operation_id="export_payouts",
    **file_answer("The payout file for PayPal or Wise", "text/csv"),
)
def export_payouts(
    payout_id: DbId,
    session: SessionDep,
    user: ApiOwner,
    program: ProgramDep,
    format: Annotated[str, Query(pattern="^(paypal|wise)$")] = "paypal",
) -> Response:
    """Owner only: the payout as a PayPal Payouts or Wise batch CSV."""
    out = io.StringIO()
    service.export_payout(session, program, payout_id, format, out)
    name = f"payout-{payout_id}-{format}.csv"
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get(
    "/{partner_id:int}/statement.csv",
    operation_id="get_partner_statement",
    **file_answer("The partner's statement, as CSV", "text/csv"),
)
def get_partner_statement(
    partner_id: DbId, session: SessionDep, user: ApiStaff, program: ProgramDep, partner: PartnerDep
) -> Response:
    """A partner's commissions, for the owner or staff."""
    out = io.StringIO()
    service.statement(session, program, partner.id, out)
    headers = {"content-disposition": f'attachment; filename="statement-{partner.id}.csv"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/{partner_id:int}/invite", status_code=201, operation_id="invite_partner")
def invite_partner(
    partner_id: DbId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: ApiOwner,
    partner: PartnerDep,
) -> dict[str, Any]:
    """Owner only: a link where the partner sets a password, usable once.

    Without an account yet: an invitation (7 days; inviting again voids the earlier link). With
    one: a password-reset link (24 hours), `kind` says which. When email is set up the link is
    also mailed to the partner; `mailed` says whether it was, in words.
    """
    link = service.issue_invite(
        session, request.app.state.secret, site_url(request), partner, actor=user.email
    )
    program = service.program_of(session, partner).name
    mailed = service.mail_portal_link(session, settings, partner, link, program)
    return {
        "partner_id": partner.id, "kind": link.kind, "url": link.url, "expires_at": link.expires_at,
        "mailed": mailed,
    }  # fmt: skip
