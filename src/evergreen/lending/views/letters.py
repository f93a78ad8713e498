"""Payoff letters as PDF downloads for the owner and staff (any day from the loan's start, the
wiring text from the settings or the `wire` field), and the helpers the borrower portal shares."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from evergreen.config import Settings
from evergreen.db import utcnow
from evergreen.lending import service
from evergreen.lending.rules.forms import read_date
from evergreen.lending.rules.letters import PayoffLetter
from evergreen.web.deps import DashboardUser, DbId, SessionDep, SettingsDep

__all__ = ["letter_download", "read_day", "router"]

router = APIRouter(prefix="/lending", include_in_schema=False)
DayText = Annotated[str, Query(max_length=20)]
WireText = Annotated[str, Query(max_length=1000)]


def read_day(text: str, today: date) -> date:
    """A day typed as YYYY-MM-DD (today when left out), or the refusal naming `as_of`."""
    if not text.strip():
        return today
    return read_date("as_of", text)


def letter_download(letter: PayoffLetter, settings: Settings) -> Response:
    """The letter as a PDF download with a plain name, kept out of shared caches."""
    name = f"payoff-loan-{letter.loan_id}-{letter.good_through.isoformat()}.pdf"
    return Response(
        service.letter_pdf(letter, service.lender_of(settings)),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store, private",
            "Referrer-Policy": "no-referrer",
        },
    )


@router.get("/loans/{loan_id:int}/payoff-letter.pdf")
def owner_letter(
    loan_id: DbId,
    session: SessionDep,
    settings: SettingsDep,
    user: DashboardUser,
    as_of: DayText = "",
    wire: WireText = "",
) -> Response:
    """A loan's payoff letter for `as_of` (today if left out), from the owner's loan page."""
    today = utcnow().date()
    wiring = wire.strip() or settings.lending_wire_instructions
    letter = service.letter_of(session, loan_id, read_day(as_of, today), today, wiring,
                               borrower=False)  # fmt: skip
    return letter_download(letter, settings)
