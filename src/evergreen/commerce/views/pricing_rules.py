"""/commerce/price-rules: the owner's named price rules (ranges of landed cost priced by a
multiplier or a fixed margin, charm ending, compare-at factor), each previewed on products and
applied to every physical product after a confirmation; and the margin guard's floors."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.models import PriceRuleRow
from evergreen.commerce.views.products import Done, FormStr, money
from evergreen.errors import InputError
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/commerce", include_in_schema=False)
_ROWS = 4  # range rows on the form; blank ones are ignored
_DONE = {"saved": "Price rule saved.", "floor": "Margin floor saved.", "applied": "Prices set."}


def _form_of(row: PriceRuleRow | None) -> dict[str, Any]:
    """The rule's form fields (blank for a new rule), with _ROWS range rows."""
    ranges = list(row.ranges) if row is not None else [{"start": "0", "end": "", "multiplier": "2"}]
    ranges += [{}] * (_ROWS - len(ranges))
    if row is None:
        return {"name": "", "currency": "USD", "ending": "0.99", "compare_at_factor": "",
                "zone": "*", "is_default": "", "ranges": ranges}  # fmt: skip
    return {"name": row.name, "currency": row.currency, "ending": row.ending or "",
            "compare_at_factor": row.compare_at_factor or "", "zone": row.zone,
            "is_default": "on" if row.is_default else "", "ranges": ranges}  # fmt: skip


def _rules_page(
    request: Request,
    session: Session,
    *,
    form: dict[str, Any] | None = None,
    floor_form: dict[str, str] | None = None,
    error: InputError | None = None,
    done: str = "",
) -> Response:
    context: dict[str, Any] = {
        "title": "Price rules",
        "rules": service.list_rules(session),
        "floors": service.floor_rows(session),
        "form": form or _form_of(None),
        "floor_form": floor_form or {"currency": "USD", "percent": "", "amount": "", "zone": "*"},
        "money": money,
        "error": error,
        "done": _DONE.get(done, ""),
    }
    status = 400 if error else 200
    return render(request, "commerce/imports_rules.html", context, status_code=status)


def _rule_page(
    request: Request,
    session: Session,
    rule_id: int,
    *,
    form: dict[str, Any] | None = None,
    error: InputError | None = None,
    done: str = "",
) -> Response:
    row = service.get_rule(session, rule_id)
    context: dict[str, Any] = {
        "title": row.name,
        "rule": row,
        "form": form or _form_of(row),
        "quotes": service.preview_rule(session, rule_id, 10),
        "money": money,
        "error": error,
        "done": _DONE.get(done, ""),
    }
    status = 400 if error else 200
    return render(request, "commerce/imports_rule.html", context, status_code=status)


@router.get("/price-rules")
def rules_page(
    request: Request, session: SessionDep, user: DashboardUser, done: Done = ""
) -> Response:
    """The rules, the form for a new one, and the margin floors."""
    return _rules_page(request, session, done=done)


async def _entered(request: Request) -> dict[str, Any]:
    """The rule form as sent: its fields and its range rows, in order."""
    posted = await request.form()

    def text(name: str) -> str:
        value = posted.get(name, "")
        return value[:200] if isinstance(value, str) else ""

    rows = [
        {part: text(f"{part}_{n}") for part in ("start", "end", "multiplier", "margin")}
        for n in range(_ROWS)
    ]
    fields = ("name", "currency", "ending", "compare_at_factor", "zone", "is_default")
    return {**{name: text(name) for name in fields}, "ranges": rows}


def _draft(entered: dict[str, Any]) -> service.RuleDraft:
    ranges = [
        (r["start"], r["end"] or None, r["multiplier"] or None, r["margin"] or None)
        for r in entered["ranges"]
    ]
    return service.RuleDraft(
        entered["name"], entered["currency"], ranges, entered["ending"],
        entered["compare_at_factor"], entered["zone"] or "*", bool(entered["is_default"]),
    )  # fmt: skip


@router.post("/price-rules")
async def add_rule(
    request: Request, session: SessionDep, user: OwnerUser, _csrf: CsrfProtected
) -> Response:
    """Owner only: a new named rule, or the form again with what was wrong."""
    entered = await _entered(request)
    try:
        row = service.save_rule(session, _draft(entered))
    except InputError as error:
        session.rollback()
        return _rules_page(request, session, form=entered, error=error)
    return RedirectResponse(f"/commerce/price-rules/{row.id}?done=saved", status_code=303)


@router.get("/price-rules/{rule_id:int}")
def rule_page(
    request: Request, rule_id: DbId, session: SessionDep, user: DashboardUser, done: Done = ""
) -> Response:
    """One rule: its form, its effect on ten products, and applying it to all."""
    return _rule_page(request, session, rule_id, done=done)


@router.post("/price-rules/{rule_id:int}")
async def save_rule(
    request: Request, rule_id: DbId, session: SessionDep, user: OwnerUser, _csrf: CsrfProtected
) -> Response:
    """Owner only: change the rule (prices follow once it is applied)."""
    entered = await _entered(request)
    try:
        service.save_rule(session, _draft(entered), rule_id)
    except InputError as error:
        session.rollback()
        return _rule_page(request, session, rule_id, form=entered, error=error)
    return RedirectResponse(f"/commerce/price-rules/{rule_id}?done=saved", status_code=303)


@router.post("/price-rules/{rule_id:int}/apply")
def apply_rule(
    request: Request,
    rule_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    confirm: FormStr = "",
) -> Response:
    """Owner only: once confirmed, price every physical product by the rule (guard included)."""
    row = service.get_rule(session, rule_id)
    step = Confirmation(
        title=f"Re-price every physical product by {row.name}?",
        consequence=f"Every physical product with a supplier cost in {row.currency} gets this "
        "rule's price, replacing the one it has; products whose margin falls under your floor "
        "are paused. Earlier prices are not kept.",
        button="Re-price all products",
        cancel=f"/commerce/price-rules/{rule_id}",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    form.on_error(lambda error: _rule_page(request, session, rule_id, error=error))
    service.apply_rule(session, rule_id)
    return RedirectResponse(f"/commerce/price-rules/{rule_id}?done=applied", status_code=303)


@router.post("/margin-floor")
def set_floor(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    currency: FormStr = "",
    percent: FormStr = "",
    amount: FormStr = "",
    zone: FormStr = "*",
) -> Response:
    """Owner only: the least margin in a currency; imports pause products under it."""
    entered = {"currency": currency, "percent": percent, "amount": amount, "zone": zone}
    form.on_error(lambda error: _rules_page(request, session, floor_form=entered, error=error))
    service.set_floor(session, currency, percent, amount, zone or "*")
    return RedirectResponse("/commerce/price-rules?done=floor", status_code=303)
