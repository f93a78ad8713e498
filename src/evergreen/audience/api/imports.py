"""/api/v1/audience/imports: upload a CSV (multipart) for a preview, then import it."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi import Path as PathParam
from pydantic import Field

from evergreen.audience import service
from evergreen.audience.errors import AudienceInputError
from evergreen.audience.uploads import MAX_UPLOAD_BYTES, MIB, saved_upload, store_upload
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import MAX_ID, ApiOwner, SessionDep, SettingsDep
from evergreen.web.gate import body_limit

__all__ = ["router"]

router = APIRouter(prefix="/audience/imports", tags=["audience"])


def _mapping(text: str) -> dict[str, str] | None:
    if not text.strip():
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise AudienceInputError("mapping", "must be a JSON object of column → role") from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise AudienceInputError("mapping", "must be a JSON object of column → role")
    return {str(key): str(role) for key, role in value.items()}


@router.post(
    "",
    operation_id="preview_audience_import",
    dependencies=[body_limit(MAX_UPLOAD_BYTES + MIB)],
)
def preview(
    settings: SettingsDep,
    user: ApiOwner,
    file: Annotated[UploadFile, File(description="A CSV export (Mailchimp, Kit, listmonk, …).")],
    mapping: Annotated[str, Form(max_length=20_000)] = "",
) -> dict[str, Any]:
    """Owner only: store the upload and say what it would import (format, columns, first rows,
    counts, row errors); nothing is imported until the import is committed with its id."""
    upload_id, path = store_upload(settings.data_dir, file.file)
    with path.open("rb") as handle:
        shown = service.preview_import(handle, _mapping(mapping))
    return {"import_id": upload_id, **shown.to_dict()}


class CommitIn(RequestBody):
    """Which list to import into, and any column roles chosen after the preview."""

    list_id: int = Field(ge=1, le=MAX_ID)
    mapping: dict[str, str] | None = None


@router.post("/{import_id}", operation_id="commit_audience_import")
def commit(
    import_id: Annotated[str, PathParam(max_length=64)],
    body: CommitIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: ApiOwner,
) -> dict[str, Any]:
    """Owner only: import an uploaded file into a list, all rows or none."""
    path = saved_upload(settings.data_dir, import_id)
    with path.open("rb") as handle:
        result = service.run_import(
            session, request.app.state.secret, handle, body.list_id, overrides=body.mapping
        )
    path.unlink(missing_ok=True)
    return result.to_dict()
