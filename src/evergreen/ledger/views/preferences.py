"""The owner's ledger preferences: an hour's worth, the required return, the currency totals
are in and how few hours a month make a stream passive (also asked for on the home page)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from evergreen.errors import InputError
from evergreen.ledger import service
from evergreen.ledger.views.forms import back_to, optional_rate, percent, required_rate
from evergreen.money import show_number
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, OwnerUser, SessionDep
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/ledger/preferences", include_in_schema=False)
FormStr = Annotated[str, Form()]


def _saved(session: Session) -> dict[str, str]:
    """The stored preferences as the form's boxes."""
    prefs = service.preferences(session)
    return {
        "hourly_rate": "" if prefs.hourly_rate is None else show_number(prefs.hourly_rate),
        "required_return": ""
        if prefs.required_return is None
        else show_number(prefs.required_return),
        "currency": prefs.currency,
        "passive_hours": show_number(prefs.passive_hours),
    }


def _page(
    request: Request, form: dict[str, str], *, status_code: int = 200, **extra: Any
) -> Response:
    context: dict[str, Any] = {
        "title": "Ledger preferences",
        "form": form,
        "error": None,
        "saved": False,
        "percent": percent,
        **extra,
    }
    return render(request, "ledger/preferences.html", context, status_code=status_code)


@router.get("")
def preferences_page(
    request: Request, user: DashboardUser, session: SessionDep, done: str = ""
) -> Response:
    """The owner's rates and preferences (staff see them; the owner changes them)."""
    return _page(request, _saved(session), saved=done == "rates-saved")


@router.post("")
def save_preferences(
    request: Request,
    user: OwnerUser,
    session: SessionDep,
    form: FormPageDep,
    _csrf: CsrfProtected,
    hourly_rate: FormStr = "",
    required_return: FormStr = "",
    currency: FormStr = "",
    passive_hours: FormStr = "",
    next: FormStr = "/ledger/preferences",
) -> Response:
    """Save the rates (both required: figures are never computed with a silent zero)."""
    values = {
        "hourly_rate": hourly_rate, "required_return": required_return, "currency": currency,
        "passive_hours": passive_hours,
    }  # fmt: skip
    form.on_error(lambda error: _refused(request, values, error))
    service.set_preferences(
        session,
        hourly_rate=required_rate(hourly_rate, "hourly_rate"),
        required_return=required_rate(required_return, "required_return"),
        currency=currency.strip() or None,
        passive_hours=optional_rate(passive_hours, "passive_hours"),
    )
    return back_to(next, "/ledger/preferences", done="rates-saved")


def _refused(request: Request, values: dict[str, str], error: InputError) -> Response:
    return _page(request, values, status_code=400, error=error)
