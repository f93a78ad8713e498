"""/ledger/import: upload a bank CSV, see what each row becomes, confirm, see what was posted.

The upload is kept in the data folder under a random name between the preview and the
confirmation (so a large file is sent once), and removed once it is posted; uploads left
unconfirmed are removed after a day.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.rules import BANK
from evergreen.ledger.rules.bank_csv import DATE_ORDERS, FIELDS, CsvOptions
from evergreen.ledger.service.bank_import import ImportResult, import_bank_csv
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import OwnerUser, SessionDep, SettingsDep
from evergreen.web.forms import FormPageDep
from evergreen.web.gate import MIB, body_limit
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/ledger/import", include_in_schema=False)
MAX_UPLOAD_BYTES = 256 * MIB
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_STALE_S = 24 * 3600
_LABELS = {"date": "Date", "description": "Description", "payee": "Payee", "amount": "Amount",
           "debit": "Debit (out)", "credit": "Credit (in)", "currency": "Currency"}  # fmt: skip


def _folder(settings: SettingsDep) -> Path:
    folder = settings.data_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_stale(folder: Path) -> None:
    cutoff = time.time() - _STALE_S
    for old in folder.glob("*.csv"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)


def _options(form: dict[str, str]) -> tuple[str, CsvOptions]:
    """The bank account and how to read the file, from the form (blank = decide from the file)."""
    mapping = {
        f: form[f"column_{f}"].strip() for f in FIELDS if form.get(f"column_{f}", "").strip()
    }
    order = form.get("date_order", "").strip().upper() or None
    if order is not None and order not in DATE_ORDERS:
        raise LedgerInputError("date_order", f"must be one of {', '.join(DATE_ORDERS)}")
    mark = form.get("decimal_mark", "").strip() or None
    if mark not in (None, ".", ","):
        raise LedgerInputError("decimal_mark", "must be . or ,")
    account = form.get("account", "").strip() or BANK
    return account, CsvOptions(mapping or None, order, mark)


def _page(request: Request, status_code: int = 200, **context: Any) -> Response:
    form = context.pop("form", {}) or {}
    full = {"title": "Import a bank statement", "form": form, "fields": FIELDS, "labels": _LABELS,
            "orders": DATE_ORDERS, "bank": BANK, "max_mb": MAX_UPLOAD_BYTES // MIB,
            **context}  # fmt: skip
    return render(request, "ledger/import.html", full, status_code=status_code)


def _run(session: SessionDep, path: Path, form: dict[str, str], post: bool) -> ImportResult:
    account, options = _options(form)
    try:
        with path.open(encoding="utf-8-sig", newline="") as lines:
            return import_bank_csv(session, lines, bank_account=account, options=options, post=post)
    except UnicodeDecodeError:
        raise LedgerInputError(
            "file", "is not UTF-8 text; save it as CSV UTF-8 and upload it again"
        ) from None


def _save(upload: UploadFile | None, folder: Path) -> tuple[str, Path]:
    if upload is None or not upload.filename:
        raise LedgerInputError("file", "choose your bank's CSV export, then press Preview")
    token = secrets.token_urlsafe(24)
    path = folder / f"{token}.csv"
    size = 0
    with path.open("wb") as out:
        while block := upload.file.read(MIB):
            size += len(block)
            if size > MAX_UPLOAD_BYTES:
                out.close()
                path.unlink(missing_ok=True)
                raise LedgerInputError(
                    "file", f"is larger than {MAX_UPLOAD_BYTES // MIB} MB; split it"
                )
            out.write(block)
    return token, path


def _option_fields(
    account: Annotated[str, Form()] = "",
    date_order: Annotated[str, Form()] = "",
    decimal_mark: Annotated[str, Form()] = "",
    column_date: Annotated[str, Form()] = "",
    column_description: Annotated[str, Form()] = "",
    column_payee: Annotated[str, Form()] = "",
    column_amount: Annotated[str, Form()] = "",
    column_debit: Annotated[str, Form()] = "",
    column_credit: Annotated[str, Form()] = "",
    column_currency: Annotated[str, Form()] = "",
) -> dict[str, str]:
    """The form's account, date order, decimal mark and column names, sent again on confirm."""
    return {
        "account": account, "date_order": date_order, "decimal_mark": decimal_mark,
        "column_date": column_date, "column_description": column_description,
        "column_payee": column_payee, "column_amount": column_amount,
        "column_debit": column_debit, "column_credit": column_credit,
        "column_currency": column_currency,
    }  # fmt: skip


OptionFields = Annotated[dict[str, str], Depends(_option_fields)]


@router.get("")
def import_page(request: Request, user: OwnerUser) -> Response:
    """Owner only: the upload form."""
    return _page(request)


@router.post("", dependencies=[body_limit(MAX_UPLOAD_BYTES + MIB)])
def preview(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    page: FormPageDep,
    form: OptionFields,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Owner only: keep the upload and show what each row would become; nothing is posted."""
    page.on_error(lambda error: _page(request, 400, form=form, error=error))
    folder = _folder(settings)
    _forget_stale(folder)
    token, path = _save(file, folder)
    try:
        result = _run(session, path, form, post=False)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    name = file.filename if file and file.filename else ""
    return _page(request, form=form, result=result, token=token, filename=name[:200])


@router.post("/confirm")
def confirm(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    page: FormPageDep,
    form: OptionFields,
    token: Annotated[str, Form()] = "",
    filename: Annotated[str, Form()] = "",
) -> Response:
    """Owner only: post the previewed file; rows posted by an earlier import are skipped."""
    page.on_error(lambda error: _page(request, 400, form=form, error=error))
    path = _folder(settings) / f"{token}.csv"
    if not _TOKEN.match(token) or not path.is_file():
        raise LedgerInputError("file", "this preview is no longer kept; upload the file again")
    result = _run(session, path, form, post=True)
    path.unlink(missing_ok=True)
    return _page(request, form=form, result=result, filename=filename)
