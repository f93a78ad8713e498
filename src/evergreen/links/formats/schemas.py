"""A link's fields as the links API takes and shows them, shared with the CLI's JSON output."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from evergreen.config import Settings
from evergreen.db import MAX_ID
from evergreen.links.models import Link
from evergreen.links.rules import short_url

__all__ = ["LinkFields", "LinkOut", "link_out"]


class LinkFields(BaseModel):
    """A link's settings: what the API's `LinkIn` takes (refusing any other field) and shows."""

    destination: str = Field(description="Where the link sends people (http or https).")
    slug: str | None = Field(None, description="Custom slug; generated when omitted.")
    title: str = ""
    kind: Literal["own", "affiliate"] = "own"
    channel: str = Field("", description="Where the link is used: blog, email, youtube…")
    campaign: str = ""
    tags: list[str] = Field(default_factory=list)
    utm: dict[str, str] = Field(default_factory=dict, description="utm_source, utm_medium…")
    targets: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description='{"devices": {"ios": url, "android": url, "mobile": url, "desktop": url}, '
        '"countries": {"DE": url}}',
    )
    forward_query: bool = True
    forward_tracking: bool = Field(True, description="Forward sub1-sub5 and utm_* of the click.")
    append_click_id: bool = Field(False, description="Add the click ID to the destination.")
    click_id_param: str = "evg_id"
    set_cookie: bool = Field(False, description="Set a first-party evg_click cookie.")
    redirect_status: Literal[301, 302, 307] = 302
    expires_at: AwareDatetime | None = None
    disabled: bool = False
    fallback_url: str | None = Field(
        None,
        description="Where the link sends people once expired or disabled (instead of a "
        "'not found' page); EVERGREEN_LINK_FALLBACK_URL when unset.",
    )
    stream_id: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="The income stream (ledger) its clicks and sales count for; null for none. "
        "A change (PUT) without it keeps the link's stream.",
    )


class LinkOut(LinkFields):
    """A stored link with its public short URL and health."""

    id: int
    slug: str
    short_url: str
    health: str
    health_detail: str
    created_at: datetime
    updated_at: datetime
    warnings: list[str] = Field(default_factory=list)


def link_out(
    link: Link, settings: Settings, site: str, warnings: list[str] | None = None
) -> LinkOut:
    """Project a row, with the short URL people share (`site`: the base URL, evergreen.siteurl)."""
    fields: dict[str, Any] = {
        name: getattr(link, name) for name in LinkFields.model_fields if name not in ("slug",)
    }
    return LinkOut(
        **fields,
        id=link.id,
        slug=link.slug,
        short_url=short_url(site, settings.link_prefix, settings.link_domain, link.slug),
        health=link.health,
        health_detail=link.health_detail,
        created_at=link.created_at,
        updated_at=link.updated_at,
        warnings=warnings or [],
    )
