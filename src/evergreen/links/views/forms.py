"""The link form of the dashboard: posted fields into a LinkDraft, and a stored link back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from evergreen.digits import is_digits
from evergreen.links.drafts import LinkDraft, check_draft
from evergreen.links.models import Link
from evergreen.links.rules import UTM_PARAMS, LinkRuleError, Targets, target_url

__all__ = ["LinkForm", "blank_form", "draft_of_form", "form_of_link", "link_warnings"]

_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class LinkForm(BaseModel):
    """The form as posted: text boxes as strings, a checkbox is true only when ticked."""

    model_config = ConfigDict(extra="ignore")

    destination: str = ""
    slug: str = ""
    title: str = ""
    kind: str = "own"
    channel: str = ""
    campaign: str = ""
    tags: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    utm_term: str = ""
    utm_content: str = ""
    forward_query: bool = False
    forward_tracking: bool = False
    append_click_id: bool = False
    click_id_param: str = "evg_id"
    set_cookie: bool = False
    redirect_status: str = "302"
    expires_at: str = ""
    disabled: bool = False
    fallback_url: str = ""
    target_ios: str = ""
    target_android: str = ""
    target_mobile: str = ""
    target_tablet: str = ""
    target_desktop: str = ""
    countries: str = ""
    stream_id: str = ""


def blank_form() -> LinkForm:
    """A new link's form, with the same defaults as LinkDraft."""
    draft = LinkDraft(destination="")
    return LinkForm(forward_query=draft.forward_query, forward_tracking=draft.forward_tracking)


def _countries(text: str) -> dict[str, str]:
    countries: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        code, _, url = line.replace("=", " ", 1).partition(" ")
        if not url.strip():
            raise LinkRuleError(
                "countries",
                f"line {number}: write a country code, a space and a URL, "
                "e.g. DE https://example.de/",
            )
        countries[code] = target_url(
            url.strip(), field="countries", label=f"line {number}: the {code} URL "
        )
    return countries


def _targets(form: LinkForm) -> dict[str, dict[str, str]]:
    devices = {
        key: target_url(url, field=f"target_{key}", label=f"{key} URL ")
        for key in Targets.DEVICE_KEYS
        if (url := getattr(form, f"target_{key}").strip())
    }
    countries = _countries(form.countries)
    targets: dict[str, dict[str, str]] = {}
    if devices:
        targets["devices"] = devices
    if countries:
        targets["countries"] = countries
    return targets


def _expiry(value: str) -> datetime | None:
    """The expiry box is a wall-clock time in UTC (the page says so)."""
    text = value.strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise LinkRuleError(
            "expires_at", "use a date and time like 2027-01-31T23:59 (UTC)"
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _stream(value: str) -> int | None:
    """The stream select: a stream's ID, or empty for none."""
    text = value.strip()
    if not text:
        return None
    if not is_digits(text):
        raise LinkRuleError("stream_id", "choose a stream from the list, or none")
    return int(text)


def draft_of_form(form: LinkForm) -> LinkDraft:
    """The service's input; what the form itself can tell is wrong raises LinkRuleError."""
    try:
        status = int(form.redirect_status)
    except ValueError:
        raise LinkRuleError("redirect_status", "must be 302 (default), 307 or 301") from None
    return LinkDraft(
        destination=form.destination,
        slug=form.slug.strip() or None,
        title=form.title,
        kind=form.kind,
        channel=form.channel,
        campaign=form.campaign,
        tags=form.tags.split(","),
        utm={name: getattr(form, name) for name in UTM_PARAMS if getattr(form, name).strip()},
        targets=_targets(form),
        forward_query=form.forward_query,
        forward_tracking=form.forward_tracking,
        append_click_id=form.append_click_id,
        click_id_param=form.click_id_param,
        set_cookie=form.set_cookie,
        redirect_status=status,
        expires_at=_expiry(form.expires_at),
        disabled=form.disabled,
        fallback_url=form.fallback_url,
        stream_id=_stream(form.stream_id),
    )


def form_of_link(link: Link) -> LinkForm:
    """A stored link as the edit form shows it."""
    utm = link.utm or {}
    targets = link.targets or {}
    devices: dict[str, str] = targets.get("devices", {})
    countries: dict[str, str] = targets.get("countries", {})
    values: dict[str, Any] = {
        "destination": link.destination,
        "slug": link.slug,
        "title": link.title,
        "kind": link.kind,
        "channel": link.channel,
        "campaign": link.campaign,
        "tags": ", ".join(link.tags or []),
        "forward_query": link.forward_query,
        "forward_tracking": link.forward_tracking,
        "append_click_id": link.append_click_id,
        "click_id_param": link.click_id_param,
        "set_cookie": link.set_cookie,
        "redirect_status": str(link.redirect_status),
        "expires_at": link.expires_at.astimezone(UTC).strftime(_DATETIME_LOCAL)
        if link.expires_at
        else "",
        "disabled": link.disabled,
        "fallback_url": link.fallback_url or "",
        "countries": "\n".join(f"{code} {url}" for code, url in countries.items()),
        "stream_id": str(link.stream_id or ""),
    }
    values.update({name: utm.get(name, "") for name in UTM_PARAMS})
    values.update({f"target_{key}": devices.get(key, "") for key in Targets.DEVICE_KEYS})
    return LinkForm.model_validate(values)


def link_warnings(link: Link) -> list[str]:
    """What the service warned about when the link was saved, derived again from its settings."""
    try:
        return check_draft(draft_of_form(form_of_link(link)))[1]
    except LinkRuleError:
        return []
