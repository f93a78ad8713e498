"""A draw's photos for the owner and staff, who review the work before approving a draw."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from evergreen.lending import service
from evergreen.web.deps import DashboardUser, DbId, SessionDep, SettingsDep

__all__ = ["photo_response", "router"]

router = APIRouter(prefix="/lending", include_in_schema=False)


def photo_response(path: object, media_type: str) -> Response:
    """A stored photo, never guessed as another type nor cached by a shared cache."""
    return FileResponse(
        str(path),
        media_type=media_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
    )


@router.get("/draw-photos/{photo_id:int}")
def owner_photo(
    photo_id: DbId, session: SessionDep, settings: SettingsDep, user: DashboardUser
) -> Response:
    """One photo a borrower sent with a draw request."""
    photo = service.own_photo(session, None, photo_id)
    return photo_response(service.photo_file(settings.data_dir, photo), photo.media_type)
