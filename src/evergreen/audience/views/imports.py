"""/audience/import: upload a CSV → its detected format, the column mapping (editable), a
preview of the first rows with per-row errors by line and counts → import into a list → what
the import did. The upload waits in the data folder between the steps (audience/uploads.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import Response

from evergreen.audience import queries, service
from evergreen.audience.errors import AudienceInputError
from evergreen.audience.rules import ROLES, field_name_of
from evergreen.audience.uploads import MAX_UPLOAD_BYTES, MIB, saved_upload, store_upload
from evergreen.audience.views.parts import FormStr, list_id_of
from evergreen.config import Settings
from evergreen.errors import InputError
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import OwnerUser, SessionDep, SettingsDep
from evergreen.web.forms import FormPageDep
from evergreen.web.gate import body_limit
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/audience/import", include_in_schema=False)
UploadId = Annotated[str, PathParam(max_length=64)]
_ROLE_NAMES = {
    "email": "Email address", "name": "Full name", "first_name": "First name",
    "last_name": "Last name", "tags": "Tags", "time_zone": "Time zone", "status": "Status",
    "attributes": "Attributes (JSON)", "fields_json": "Fields (JSON)",
    "opted_in_at": "Opted in at", "opt_in_ip": "Opt-in IP", "confirmed_at": "Confirmed at",
    "confirm_ip": "Confirmation IP", "": "Ignore this column",
}  # fmt: skip


async def _mapping(request: Request) -> dict[str, str] | None:
    """The column roles sent with the form (one `column` and one `role` per column, in order),
    or None when the form has none (the detected roles stand)."""
    form = await request.form()
    columns = [str(value) for value in form.getlist("column")]
    roles = [str(value) for value in form.getlist("role")]
    if not columns:
        return None
    if len(columns) != len(roles) or len(columns) > 200:
        raise AudienceInputError("mapping", "the column roles were not all sent; preview again")
    return dict(zip(columns, roles, strict=True))


Mapping = Annotated[dict[str, str] | None, Depends(_mapping)]


def _choices(column: str, role: str) -> list[tuple[str, str]]:
    """What a column can be: the known roles, a custom field named after it, or its own role."""
    own = "field:" + field_name_of(column)
    choices = [(value, _ROLE_NAMES[value]) for value in ROLES]
    choices.insert(-1, (own, f"Custom field “{own[6:]}”"))
    if role not in dict(choices):
        choices.insert(-1, (role, f"Custom field “{role[6:]}”"))
    return choices


def _page(request: Request, session: Any, status_code: int = 200, **context: Any) -> Response:
    full = {
        "title": "Import subscribers",
        "max_mb": MAX_UPLOAD_BYTES // MIB,
        "lists": queries.list_counts(session),
        "choices": _choices,
        "role_names": _ROLE_NAMES,
        **context,
    }
    return render(request, "audience/import.html", full, status_code=status_code)


def _preview(
    request: Request,
    session: Any,
    settings: Settings,
    upload_id: str,
    filename: str,
    mapping: dict[str, str] | None,
    form: dict[str, str] | None = None,
    error: InputError | None = None,
) -> Response:
    """The preview of a kept upload with these roles; roles that are refused are shown again,
    beside the error, over the preview with the detected roles."""
    path = saved_upload(settings.data_dir, upload_id)
    try:
        with path.open("rb") as handle:
            shown = service.preview_import(handle, mapping)
    except AudienceInputError as exc:
        if mapping is None or exc.field != "mapping":
            raise
        error = exc
        with path.open("rb") as handle:
            shown = service.preview_import(handle, None)
    header, detected = shown.plan.header, shown.plan.roles
    roles = [mapping.get(c, r) if mapping else r for c, r in zip(header, detected, strict=True)]
    return _page(
        request,
        session,
        400 if error else 200,
        preview=shown,
        columns=list(zip(header, roles, strict=True)),
        upload_id=upload_id,
        filename=filename,
        error=error,
        form=form or {},
    )


def _refused(
    request: Request,
    session: Any,
    settings: Settings,
    upload_id: str,
    filename: str,
    mapping: dict[str, str] | None,
    form: dict[str, str],
    error: InputError,
) -> Response:
    """The preview again with the reason the import was refused (nothing was imported), or
    the upload form with it when the upload itself is gone or unreadable."""
    try:
        return _preview(request, session, settings, upload_id, filename, mapping, form, error)
    except InputError:
        return _page(request, session, 400, error=error)


@router.get("")
def import_page(request: Request, session: SessionDep, user: OwnerUser) -> Response:
    """Owner only: the upload form."""
    return _page(request, session)


@router.post("", dependencies=[body_limit(MAX_UPLOAD_BYTES + MIB)])
def upload(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    page: FormPageDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Owner only: keep the upload and show what it would import; nothing is stored yet."""
    page.on_error(lambda error: _page(request, session, 400, error=error))
    if file is None or not file.filename:
        raise AudienceInputError("file", "choose a CSV file (a Mailchimp, Kit or listmonk export)")
    upload_id, path = store_upload(settings.data_dir, file.file)
    try:
        return _preview(request, session, settings, upload_id, file.filename[:200], None)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


@router.post("/{upload_id}/preview")
def preview_again(
    request: Request,
    upload_id: UploadId,
    session: SessionDep,
    settings: SettingsDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    page: FormPageDep,
    mapping: Mapping,
    filename: FormStr = "",
    list_id: FormStr = "",
    new_list: FormStr = "",
) -> Response:
    """Owner only: the same upload previewed again with the column roles as changed."""
    page.on_error(lambda error: _page(request, session, 400, error=error))
    form = {"list_id": list_id, "new_list": new_list}
    return _preview(request, session, settings, upload_id, filename[:200], mapping, form)


@router.post("/{upload_id}")
def run(
    request: Request,
    upload_id: UploadId,
    session: SessionDep,
    settings: SettingsDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    page: FormPageDep,
    mapping: Mapping,
    filename: FormStr = "",
    list_id: FormStr = "",
    new_list: FormStr = "",
) -> Response:
    """Owner only: import the upload into a list (all rows or none) and show what it did."""
    form = {"list_id": list_id, "new_list": new_list}
    name = filename[:200]
    page.on_error(
        lambda error: _refused(request, session, settings, upload_id, name, mapping, form, error)
    )
    path = saved_upload(settings.data_dir, upload_id)
    if new_list.strip():
        target = service.list_named(session, new_list, create=True)
    else:
        chosen = list_id_of(list_id, required=True)
        assert chosen is not None
        target = service.get_list(session, chosen)
    with path.open("rb") as handle:
        result = service.run_import(
            session,
            request.app.state.secret,
            handle,
            target.id,
            overrides=mapping,
            form=f"{name[:150]} (import)" if name else "",
        )
    path.unlink(missing_ok=True)
    return _page(request, session, result=result, target=target.name, filename=name)
