"""/commerce/imports: upload a Shopify export or a supplier list → its preview (counts, rows
withheld by line, a priced sample) → run: batch after batch, a progress bar the page advances
with a small script (a Continue button without it) → the summary with paused products."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.views.products import FormStr
from evergreen.digits import row_id
from evergreen.errors import InputError
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DbId, OwnerUser, SessionDep, SettingsDep
from evergreen.web.forms import FormPageDep
from evergreen.web.gate import MIB, body_limit
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/commerce/imports", include_in_schema=False)
_BLANK = {"kind": "shopify", "currency": "USD", "rule_id": "", "status": "draft", "reprice": "on"}


def _list_page(
    request: Request,
    session: Session,
    *,
    form: dict[str, str] | None = None,
    error: InputError | None = None,
) -> Response:
    rules = service.list_rules(session)
    chosen = dict(_BLANK)
    default = next((rule for rule in rules if rule.is_default), None)
    if default is not None:
        chosen.update(rule_id=str(default.id), currency=default.currency)
    context: dict[str, Any] = {
        "title": "Import products",
        "imports": [service.import_status(row) for row in service.list_imports(session)],
        "rules": rules,
        "form": form or chosen,
        "error": error,
        "max_mb": service.MAX_IMPORT_BYTES // MIB,
    }
    return render(request, "commerce/imports.html", context, status_code=400 if error else 200)


@router.get("")
def imports_page(request: Request, session: SessionDep, user: OwnerUser) -> Response:
    """Owner only: the upload form and the latest imports."""
    return _list_page(request, session)


def _rule_id(text: str) -> int | None:
    if not text.strip():
        return None
    chosen = row_id(text)
    if chosen is None:
        raise CommerceInputError("rule_id", "choose one of your price rules")
    return chosen


@router.post("", dependencies=[body_limit(service.MAX_IMPORT_BYTES + MIB)])
def upload(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    page: FormPageDep,
    file: Annotated[UploadFile | None, File()] = None,
    kind: FormStr = "shopify",
    currency: FormStr = "USD",
    rule_id: FormStr = "",
    status: FormStr = "draft",
    reprice: FormStr = "",
) -> Response:
    """Owner only: keep the upload and show its preview; the catalog is not changed yet."""
    entered = {"kind": kind, "currency": currency, "rule_id": rule_id, "status": status,
               "reprice": reprice}  # fmt: skip
    page.on_error(lambda error: _list_page(request, session, form=entered, error=error))
    if file is None or not file.filename:
        raise CommerceInputError("file", "choose a CSV file (a Shopify export or supplier list)")
    options = service.ImportOptions(currency, _rule_id(rule_id), status, bool(reprice))
    name = file.filename[:200]
    row, _shown = service.start_import(session, settings.data_dir, kind, file.file, name, options)
    return RedirectResponse(f"/commerce/imports/{row.id}", status_code=303)


@router.get("/{import_id:int}")
def import_page(
    request: Request, import_id: DbId, session: SessionDep, settings: SettingsDep, user: OwnerUser
) -> Response:
    """Owner only: the preview before the run, the progress while it runs, then the summary."""
    row = service.get_import(session, import_id)
    shown = None
    if row.status == "previewed":
        shown = service.preview_import(session, settings.data_dir, import_id).to_dict()
    context: dict[str, Any] = {
        "title": f"Import {row.id}",
        "job": service.import_status(row),
        "preview": shown,
        "rule": service.get_rule(session, row.options["rule_id"]).name
        if row.options.get("rule_id")
        else "",
    }
    return render(request, "commerce/imports_show.html", context)


@router.get("/{import_id:int}/status")
def import_progress(import_id: DbId, session: SessionDep, user: OwnerUser) -> dict[str, Any]:
    """Owner only: the progress the page's bar shows, as JSON."""
    return service.import_status(service.get_import(session, import_id))


@router.post("/{import_id:int}/run")
def run_import(
    request: Request,
    import_id: DbId,
    session: SessionDep,
    settings: SettingsDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
) -> Response:
    """Owner only: store the next batch; the script asks for JSON and calls again until done."""
    row = service.run_batch(session, settings.data_dir, import_id)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(service.import_status(row))
    return RedirectResponse(f"/commerce/imports/{import_id}", status_code=303)
