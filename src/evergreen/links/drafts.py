"""What a person asks a link to be, checked field by field into what is stored (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from evergreen.links.rules import (
    UTM_PARAMS,
    LinkRuleError,
    Targets,
    generate_slug,
    normalize_slug,
    target_url,
    validate_destination,
)

__all__ = ["KINDS", "REDIRECT_STATUSES", "LinkDraft", "check_draft", "targets_of"]

KINDS = ("own", "affiliate")
REDIRECT_STATUSES = (301, 302, 307)
_PARAM_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


@dataclass
class LinkDraft:
    """A link as entered in a form, a JSON body, a CSV row or a command line."""

    destination: str
    slug: str | None = None
    title: str = ""
    kind: str = "own"
    channel: str = ""
    campaign: str = ""
    tags: list[str] = field(default_factory=list)
    utm: dict[str, str] = field(default_factory=dict)
    targets: dict[str, dict[str, str]] = field(default_factory=dict)
    forward_query: bool = True
    forward_tracking: bool = True
    append_click_id: bool = False
    click_id_param: str = "evg_id"
    set_cookie: bool = False
    redirect_status: int = 302
    expires_at: datetime | None = None
    disabled: bool = False
    fallback_url: str | None = None
    stream_id: int | None = None  # the income stream its clicks and sales count for
    keep_stream: bool = False  # a change that leaves the stream as it is (an API PUT without it)


def _short(field_name: str, value: str, limit: int) -> str:
    cleaned = value.strip()
    if len(cleaned) > limit:
        raise LinkRuleError(field_name, f"must be at most {limit} characters")
    return cleaned


def _tags(values: list[str]) -> list[str]:
    tags: list[str] = []
    for raw in values:
        tag = raw.strip().lower()
        if not tag:
            continue
        if len(tag) > 40:
            raise LinkRuleError("tags", f"tag {tag[:20]!r}… is longer than 40 characters")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > 20:
        raise LinkRuleError("tags", "at most 20 tags per link")
    return tags


def _utm(values: Mapping[str, str]) -> dict[str, str]:
    utm: dict[str, str] = {}
    for key, value in values.items():
        name = key if key.startswith("utm_") else f"utm_{key}"
        if name not in UTM_PARAMS:
            raise LinkRuleError(
                "utm", f"unknown UTM parameter {key!r}; use {', '.join(UTM_PARAMS)}"
            )
        if value.strip():
            utm[name] = _short("utm", value, 200)
    return utm


def _targets(values: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    unknown = set(values) - {"devices", "countries"}
    if unknown:
        raise LinkRuleError("targets", "only 'devices' and 'countries' can be targeted")
    devices: dict[str, str] = {}
    for key, url in values.get("devices", {}).items():
        if key not in Targets.DEVICE_KEYS:
            raise LinkRuleError(
                "targets", f"device must be one of {', '.join(Targets.DEVICE_KEYS)}"
            )
        devices[key] = target_url(url, field="targets", label=f"{key}: ")
    countries: dict[str, str] = {}
    for key, url in values.get("countries", {}).items():
        code = key.strip().upper()
        if len(code) != 2 or not code.isalpha():
            raise LinkRuleError("targets", f"{key!r} is not a two-letter country code like US")
        countries[code] = target_url(url, field="targets", label=f"{code}: ")
    result: dict[str, dict[str, str]] = {}
    if devices:
        result["devices"] = devices
    if countries:
        result["countries"] = countries
    return result


def _fallback(url: str | None) -> str | None:
    """Optional; when given, a destination like any other (a blank box means none)."""
    if url is None or not url.strip():
        return None
    return target_url(url, field="fallback_url", label="")


def targets_of(stored: Mapping[str, Any]) -> Targets:
    """The stored targeting JSON as a Targets value."""
    return Targets(
        devices=dict(stored.get("devices", {})), countries=dict(stored.get("countries", {}))
    )


def check_draft(draft: LinkDraft) -> tuple[dict[str, Any], list[str]]:
    """Validate every field; return the values to store and warnings worth showing."""
    warnings: list[str] = []
    if draft.kind not in KINDS:
        raise LinkRuleError("kind", "must be 'own' (your pages) or 'affiliate' (outbound)")
    if draft.redirect_status not in REDIRECT_STATUSES:
        raise LinkRuleError("redirect_status", "must be 302 (default), 307 or 301")
    if draft.redirect_status == 301:
        warnings.append(
            "301 is cached by browsers: repeat visits skip Evergreen and their clicks are lost."
        )
    param = draft.click_id_param.strip()
    if not param or len(param) > 40 or not set(param) <= _PARAM_CHARS:
        raise LinkRuleError("click_id_param", "use 1-40 letters, digits, '_' or '-'")
    values: dict[str, Any] = {
        "slug": normalize_slug(draft.slug) if draft.slug else generate_slug(),
        "destination": validate_destination(draft.destination),
        "title": _short("title", draft.title, 200),
        "kind": draft.kind,
        "channel": _short("channel", draft.channel, 100).lower(),
        "campaign": _short("campaign", draft.campaign, 100),
        "tags": _tags(draft.tags),
        "utm": _utm(draft.utm),
        "targets": _targets(draft.targets),
        "forward_query": draft.forward_query,
        "forward_tracking": draft.forward_tracking,
        "append_click_id": draft.append_click_id,
        "click_id_param": param,
        "set_cookie": draft.set_cookie,
        "redirect_status": draft.redirect_status,
        "expires_at": draft.expires_at,
        "disabled": draft.disabled,
        "fallback_url": _fallback(draft.fallback_url),
    }
    if not draft.keep_stream:
        if draft.stream_id is not None and draft.stream_id < 1:
            raise LinkRuleError("stream_id", "must be the ID of a stream, or empty for none")
        values["stream_id"] = draft.stream_id
    if draft.expires_at is not None and draft.expires_at.tzinfo is None:
        raise LinkRuleError("expires_at", "needs a time zone, e.g. 2027-01-31T23:59:00Z")
    return values, warnings
