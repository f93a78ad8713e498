"""JSON routes for one payout in full: its partners' lines and commissions, and as CSV."""

from __future__ import annotations

import io
from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from evergreen.money import show_money
from evergreen.partners import service
from evergreen.partners.api.program import ProgramDep
from evergreen.web.deps import ApiOwner, DbId, SessionDep
from evergreen.web.downloads import file_answer

__all__ = ["router"]

router = APIRouter(prefix="/partners", tags=["partners"])


class RecipientOut(BaseModel):
    """One partner's line: who is paid, how, how much, under which reference."""

    partner_id: int
    name: str
    method: str
    pay_to: str
    currency: str
    total: str = Field(description="Money as a string with two decimals: 12.50.")
    reference: str


class PayoutItemOut(BaseModel):
    """One commission the payout settles."""

    id: int
    partner_id: int
    kind: str
    amount: str = Field(description="Money as a string with two decimals: 12.50.")
    currency: str
    status: str
    reason: str
    created_at: datetime


class PayoutOut(BaseModel):
    """A payout: status, totals per currency, lines and commissions."""

    id: int
    status: str
    created_at: datetime
    created_by: str
    paid_at: datetime | None
    totals: dict[str, str] = Field(description="Per currency, money with two decimals.")
    lines: list[RecipientOut]
    commissions: list[PayoutItemOut]


@router.get("/payouts/{payout_id}", operation_id="get_payout")
def get_payout(
    payout_id: DbId, session: SessionDep, user: ApiOwner, program: ProgramDep
) -> PayoutOut:
    """Owner only: one payout with who is paid how much, how, and for which commissions."""
    detail = service.payout_detail(session, program, payout_id)
    payout = detail.payout
    return PayoutOut(
        id=payout.id, status=payout.status, created_at=payout.created_at,
        created_by=payout.created_by, paid_at=payout.paid_at,
        totals={currency: show_money(total) for currency, total in detail.totals.items()},
        lines=[
            RecipientOut(
                partner_id=r.partner_id, name=r.name, method=r.method, pay_to=r.pay_to,
                currency=r.currency, total=show_money(r.total), reference=r.reference,
            )
            for r in detail.recipients
        ],
        commissions=[
            PayoutItemOut(
                id=i.id, partner_id=i.partner_id, kind=i.kind, amount=show_money(i.amount),
                currency=i.currency, status=i.status, reason=i.reason, created_at=i.created_at,
            )
            for i in detail.items
        ],
    )  # fmt: skip


@router.get(
    "/payouts/{payout_id}/commissions.csv",
    operation_id="export_payout_commissions",
    **file_answer("The payout's commissions", "text/csv"),
)
def export_payout_commissions(
    payout_id: DbId, session: SessionDep, user: ApiOwner, program: ProgramDep
) -> Response:
    """Owner only: the payout's commissions as CSV, each with its payment reference."""
    out = io.StringIO()
    service.write_payout_commissions(service.payout_detail(session, program, payout_id), out)
    headers = {"content-disposition": f'attachment; filename="payout-{payout_id}-commissions.csv"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
