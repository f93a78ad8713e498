"""/webinars/{id}/analytics: registrations, show-up rate, watch time, the drop-off curve and
the offers' clicks and sales, by traffic source. Staff read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from evergreen.errors import InputError
from evergreen.web.deps import DashboardUser, DbId, SessionDep
from evergreen.web.templates import render
from evergreen.webinars import analytics

__all__ = ["curve_points", "router"]

router = APIRouter(prefix="/webinars", include_in_schema=False)
By = Annotated[str, Query(max_length=20)]
WIDTH, HEIGHT, PAD = 600, 200, 24


def curve_points(curve: list[float]) -> str:
    """The drop-off curve as SVG polyline points in a WIDTH by HEIGHT box (100 % at the top)."""
    if not curve:
        return ""
    step = (WIDTH - 2 * PAD) / max(1, len(curve) - 1)
    return " ".join(
        f"{PAD + i * step:.1f},{PAD + (1 - share) * (HEIGHT - 2 * PAD):.1f}"
        for i, share in enumerate(curve)
    )


@router.get("/{webinar_id:int}/analytics")
def analytics_page(
    request: Request, webinar_id: DbId, session: SessionDep, user: DashboardUser, by: By = ""
) -> Response:
    """A webinar's analytics, broken down by one traffic-source key (channel by default)."""
    error: InputError | None = None
    try:
        figures = analytics.webinar_analytics(session, webinar_id, by or "channel")
    except InputError as exc:
        if exc.field != "by":
            raise
        error, figures = exc, analytics.webinar_analytics(session, webinar_id, "channel")
    every = max(1, len(figures.dropoff) // 12)
    context: dict[str, Any] = {
        "title": f"Analytics · {figures.title}",
        "a": figures,
        "by_keys": analytics.BY,
        "none_key": analytics.NONE,
        "error": error,
        "points": curve_points(figures.dropoff),
        "box": {"width": WIDTH, "height": HEIGHT, "pad": PAD},
        "marks": [(m, figures.dropoff[m]) for m in range(0, len(figures.dropoff), every)],
    }
    return render(request, "webinars/analytics.html", context, status_code=400 if error else 200)
