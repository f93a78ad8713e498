"""/api/v1/commerce/imports: upload a Shopify export or a supplier list as the raw body (it
is previewed, nothing stored), read the preview, then run it batch by batch until `status` is
done. The owner only: an import rewrites the catalog."""

from __future__ import annotations

from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, Query

from evergreen.commerce import service
from evergreen.web.deps import MAX_ID, ApiOwner, DbId, SessionDep, SettingsDep
from evergreen.web.gate import MIB, body_limit
from evergreen.web.uploads import spooled_body

__all__ = ["router"]

router = APIRouter(prefix="/commerce", tags=["commerce"])
_LIMIT = service.MAX_IMPORT_BYTES


Body = Annotated[IO[bytes], Depends(spooled_body(lambda: _LIMIT, "file"))]


@router.post(
    "/imports",
    status_code=201,
    operation_id="start_commerce_import",
    dependencies=[body_limit(_LIMIT + MIB)],  # the 413 above names the limit first
)
def start_import(
    spool: Body,
    session: SessionDep,
    settings: SettingsDep,
    user: ApiOwner,
    kind: Annotated[str, Query(max_length=20, description="shopify or supplier")],
    currency: Annotated[str, Query(max_length=10, description="Costs' and prices' currency.")],
    rule_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="A price rule.")] = None,
    status: Annotated[str, Query(max_length=20, description="New products: draft or active.")] = (
        "draft"
    ),
    reprice: Annotated[bool, Query(description="Supplier list: re-price by the rule.")] = True,
    file_name: Annotated[str, Query(max_length=200)] = "upload.csv",
) -> dict[str, Any]:
    """Owner only: keep the CSV (the raw body) and preview it; run it with …/run."""
    options = service.ImportOptions(currency, rule_id, status, reprice)
    row, shown = service.start_import(session, settings.data_dir, kind, spool, file_name, options)
    return {**service.import_status(row), "preview": shown.to_dict()}


@router.get("/imports", operation_id="list_commerce_imports")
def list_imports(session: SessionDep, user: ApiOwner) -> list[dict[str, Any]]:
    """Owner only: the latest imports with their progress and counts."""
    return [service.import_status(row) for row in service.list_imports(session)]


@router.get("/imports/{import_id}", operation_id="get_commerce_import")
def get_import(import_id: DbId, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: an import's progress, counts, refused rows and paused products."""
    return service.import_status(service.get_import(session, import_id))


@router.get("/imports/{import_id}/preview", operation_id="preview_commerce_import")
def preview_import(
    import_id: DbId, session: SessionDep, settings: SettingsDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: what the kept upload would create, update and withhold now."""
    return service.preview_import(session, settings.data_dir, import_id).to_dict()


@router.post("/imports/{import_id}/run", operation_id="run_commerce_import")
def run_import(
    import_id: DbId,
    session: SessionDep,
    settings: SettingsDep,
    user: ApiOwner,
    batch: Annotated[int, Query(ge=1, le=5000, description="Entries in this batch.")] = (
        service.BATCH
    ),
) -> dict[str, Any]:
    """Owner only: store the next batch; call again until `status` is done."""
    return service.import_status(service.run_batch(session, settings.data_dir, import_id, batch))
