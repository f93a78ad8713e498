"""The program's settings page (owner): payout threshold, landing page, refund window,
attribution window and model, and the income stream its commissions are a cost of."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.digits import is_digits
from evergreen.errors import InputError
from evergreen.ledger import service as ledger
from evergreen.partners import service
from evergreen.partners.rules import PartnerRuleError, ProgramSettings
from evergreen.partners.views.deps import ProgramDep
from evergreen.partners.views.partner import page_helpers
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import OwnerUser, SessionDep
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/partners", include_in_schema=False)
FormStr = Annotated[str, Form()]
_HINTS = {
    "payout_threshold": "an amount like 50 or 25.50",
    "holding_days": "a whole number of days like 30",
    "window_days": "a whole number of days like 30",
}


def _amount(field: str, text: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise PartnerRuleError(field, f"must be {_HINTS[field]}") from None
    return value


def _days(field: str, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise PartnerRuleError(field, f"must be {_HINTS[field]}") from None


def _stream(text: str) -> int | None:
    clean = text.strip()
    if not clean:
        return None
    if not is_digits(clean):
        raise PartnerRuleError("stream_id", "choose a stream from the list")
    return int(clean)


def _draft(form: dict[str, str]) -> ProgramSettings:
    """The form as typed; the service checks it with the same rules as the API."""
    return ProgramSettings(
        payout_threshold=_amount("payout_threshold", form["payout_threshold"]),
        landing_url=form["landing_url"],
        holding_days=_days("holding_days", form["holding_days"]),
        window_days=_days("window_days", form["window_days"]),
        attribution_model=form["attribution_model"],
        stream_id=_stream(form["stream_id"]),
    )


def _stored(session: Session) -> dict[str, str]:
    current = service.settings_of(service.default_program(session))
    return {
        "payout_threshold": f"{current.payout_threshold:.2f}",
        "landing_url": current.landing_url,
        "holding_days": str(current.holding_days),
        "window_days": str(current.window_days),
        "attribution_model": current.attribution_model,
        "stream_id": str(current.stream_id or ""),
    }


def _page(
    request: Request,
    session: Session,
    *,
    form: dict[str, str] | None = None,
    error: InputError | None = None,
    done: bool = False,
) -> Response:
    context: dict[str, Any] = {
        "title": "Program settings",
        "program": service.default_program(session),
        "form": form or _stored(session),
        "error": error,
        "done": done,
        "streams": [(stream.id, stream.name) for stream in ledger.all_streams(session)],
        **page_helpers(),
    }
    status = 400 if error else 200
    return render(request, "partners/admin_settings.html", context, status_code=status)


@router.get("/settings")
def settings_page(
    request: Request, session: SessionDep, user: OwnerUser, done: str = ""
) -> Response:
    """The program's settings as stored, in a form."""
    return _page(request, session, done=bool(done))


@router.post("/settings")
def save_settings(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    program: ProgramDep,
    _csrf: CsrfProtected,
    form: FormPageDep,
    payout_threshold: FormStr = "",
    landing_url: FormStr = "",
    holding_days: FormStr = "",
    window_days: FormStr = "",
    attribution_model: FormStr = "last",
    stream_id: FormStr = "",
) -> Response:
    """Save the settings, or show the form again with what to fix."""
    entered = {
        "payout_threshold": payout_threshold, "landing_url": landing_url,
        "holding_days": holding_days, "window_days": window_days,
        "attribution_model": attribution_model, "stream_id": stream_id,
    }  # fmt: skip
    form.on_error(lambda error: _page(request, session, form=entered, error=error))
    service.update_settings(session, program, _draft(entered))
    return RedirectResponse("/partners/settings?done=1", status_code=303)
