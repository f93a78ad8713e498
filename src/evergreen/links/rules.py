"""Pure link decisions: slugs, destinations, targeting, tracking parameters, click classes."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from urllib.parse import quote_plus, unquote_plus, urlsplit

from evergreen.errors import InputError
from evergreen.urls import MAX_URL, check_http_url

__all__ = [
    "RESERVED_SLUGS",
    "TRACKING_PARAMS",
    "ClickClass",
    "LinkRuleError",
    "Targets",
    "build_destination",
    "choose_destination",
    "classify",
    "generate_slug",
    "is_flood",
    "is_unique",
    "normalize_slug",
    "preview_fetcher",
    "refloods",
    "target_url",
    "validate_destination",
    "visits",
]

SUB_PARAMS = ("sub1", "sub2", "sub3", "sub4", "sub5")
UTM_PARAMS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
TRACKING_PARAMS = SUB_PARAMS + UTM_PARAMS
RESERVED_SLUGS = frozenset(
    {
        "api", "static", "go", "login", "logout", "setup", "settings", "account", "portal",
        "healthz", "docs", "admin", "links", "partners", "audience", "mail", "sequences",
        "webinars", "commerce", "ledger", "lending", "household", "finance", "favicon.ico",
        "robots.txt", "qr", "stats", "bulk", "export", "import", "new", "reclassify",
    }
)  # fmt: skip
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")
_SLUG_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: easy to read aloud
MAX_DESTINATION = MAX_URL


class LinkRuleError(InputError):
    """A link field that breaks a rule, named so the caller can point at it."""


def normalize_slug(slug: str) -> str:
    """Slugs are case-insensitive (stored lower case): 1-64 of a-z, 0-9, '-', '_'."""
    value = slug.strip().lower()
    if not _SLUG.match(value):
        raise LinkRuleError(
            "slug",
            "use 1-64 letters, digits, '-' or '_', starting and ending with a letter or digit",
        )
    if value in RESERVED_SLUGS:
        raise LinkRuleError("slug", f"'{value}' is reserved; choose another slug")
    return value


def generate_slug(length: int = 7) -> str:
    """A random slug that is easy to read and type."""
    return "".join(secrets.choice(_SLUG_ALPHABET) for _ in range(length))


def validate_destination(url: str) -> str:
    """Only absolute http(s) URLs with a host; no credentials, no whitespace, bounded length."""
    return check_http_url("destination", url, LinkRuleError)


def target_url(url: str, *, field: str, label: str) -> str:
    """A device or country target is a destination too; its error names the target's own box."""
    try:
        return validate_destination(url)
    except LinkRuleError as exc:
        raise LinkRuleError(field, f"{label}{exc.message}") from None


@dataclass(frozen=True)
class Targets:
    """Alternative destinations by device and by country (ISO 3166 alpha-2)."""

    devices: Mapping[str, str]
    countries: Mapping[str, str]

    DEVICE_KEYS = ("ios", "android", "mobile", "tablet", "desktop")

    @classmethod
    def empty(cls) -> Targets:
        """No targeting: every visitor gets the default destination."""
        return cls(devices={}, countries={})

    @property
    def needs_device(self) -> bool:
        """Whether the user agent must be parsed to choose the destination."""
        return bool(self.devices)

    @property
    def needs_country(self) -> bool:
        """Whether the visitor's country must be looked up to choose the destination."""
        return bool(self.countries)


def choose_destination(
    default: str, targets: Targets, *, device_os: str | None, device_type: str | None,
    country: str | None,
) -> str:  # fmt: skip
    """Most specific wins: the OS (ios/android), then device type, then country, then default."""
    if targets.devices:
        for key in (device_os, device_type):
            if key and key in targets.devices:
                return targets.devices[key]
    if country and country.upper() in targets.countries:
        return targets.countries[country.upper()]
    return default


def _quoted(value: str) -> str:
    """Form-encode a query value; plain letters and digits (the usual case) need nothing."""
    return value if value.isascii() and value.isalnum() else quote_plus(value)


def build_destination(
    base: str,
    *,
    utm: Mapping[str, str],
    incoming: Sequence[tuple[str, str]],
    forward_query: bool,
    forward_tracking: bool,
    click_id: str | None,
    click_id_param: str,
) -> str:
    """The URL to redirect to: the link's UTM values, forwarded parameters, and the click ID.

    Parameters already in the destination keep their original encoding unless overridden; this
    runs on every redirect, so it edits the string instead of parsing and rebuilding the URL.
    """
    overrides: dict[str, str] = {k: v for k, v in utm.items() if v}
    for key, value in incoming:
        tracking = key in TRACKING_PARAMS
        if (tracking and forward_tracking) or (not tracking and forward_query):
            overrides[key] = value
    if click_id:
        overrides[click_id_param] = click_id
    if not overrides:
        return base
    without_fragment, hashmark, fragment = base.partition("#")
    head, _mark, query = without_fragment.partition("?")
    kept = [
        pair
        for pair in query.split("&")
        if pair and unquote_plus(pair.partition("=")[0]) not in overrides
    ]
    added = [f"{_quoted(k)}={_quoted(v)}" for k, v in overrides.items()]
    return f"{head}?{'&'.join(kept + added)}{hashmark}{fragment}"


class ClickClass(StrEnum):
    """Why a click counts or not; only HUMAN clicks count, the others are kept and shown."""

    HUMAN = "human"
    BOT = "bot"
    PREVIEW = "preview"
    PREFETCH = "prefetch"
    HEAD = "head"
    INTERNAL = "internal"
    FLOOD = "flood"


# Link-preview fetchers: they unfurl a link in a chat or feed; no person clicked.
_PREVIEW_AGENTS: tuple[tuple[str, str], ...] = (
    ("slackbot-linkexpanding", "Slack"),
    ("slack-imgproxy", "Slack"),
    ("twitterbot", "X (Twitter)"),
    ("facebookexternalhit", "Facebook"),
    ("facebookcatalog", "Facebook"),
    ("meta-externalagent", "Facebook"),
    ("linkedinbot", "LinkedIn"),
    ("discordbot", "Discord"),
    ("telegrambot", "Telegram"),
    ("whatsapp", "WhatsApp"),
    ("skypeuripreview", "Skype/Teams"),
    ("microsoftpreview", "Microsoft Teams"),
    ("redditbot", "Reddit"),
    ("pinterestbot", "Pinterest"),
    ("vkshare", "VK"),
    ("iframely", "Iframely"),
    ("embedly", "Embedly"),
    ("mastodon", "Mastodon"),
    ("bluesky cardyb", "Bluesky"),
    ("viber", "Viber"),
    ("snapchat", "Snapchat"),
    ("google-pagerenderer", "Google"),
    ("applebot", "Apple"),
)


@lru_cache(maxsize=20_000)
def preview_fetcher(user_agent: str) -> str | None:
    """Which service's link-preview fetcher this user agent is, if any."""
    lowered = user_agent.lower()
    for marker, name in _PREVIEW_AGENTS:
        if marker in lowered:
            return name
    return None


def classify(
    *,
    method: str,
    user_agent: str,
    purpose: str,
    internal: bool,
    crawler: bool,
    flood: bool,
    human_agents: frozenset[str] = frozenset(),
) -> tuple[ClickClass, str]:
    """Decide a click's class and the reason shown for it; the first matching rule wins."""
    if method.upper() == "HEAD":
        return ClickClass.HEAD, "HEAD request: checks the link, follows nothing"
    if "prefetch" in purpose.lower() or "prerender" in purpose.lower():
        return ClickClass.PREFETCH, f"browser prefetch ({purpose.strip()})"
    if internal:
        return ClickClass.INTERNAL, "owner's own traffic (internal IP or cookie)"
    if user_agent not in human_agents:
        fetcher = preview_fetcher(user_agent)
        if fetcher:
            return ClickClass.PREVIEW, f"link preview by {fetcher}"
        if not user_agent.strip():
            return ClickClass.BOT, "no user agent"
        if crawler:
            return ClickClass.BOT, "known crawler user agent"
    if flood:
        return ClickClass.FLOOD, FLOOD_REASON
    return ClickClass.HUMAN, "counted"


FLOOD_REASON = "too many clicks from one visitor on this link in a minute"
MINUTE_US = 60_000_000


def visits(times: Sequence[int], window: int, per_minute: int) -> list[tuple[bool, bool]]:
    """(unique, flood) of each click of one visitor on one link, from all their clicks.

    `times` are microseconds in (time, click ID) order, so the answer depends on the set of
    clicks only, never on which ingester saw which click first: every server decides the same.
    """
    out: list[tuple[bool, bool]] = []
    for i, now in enumerate(times):
        unique = i == 0 or is_unique(times[i - 1], now, window)
        flood = i >= per_minute and times[i - per_minute] > now - MINUTE_US
        out.append((unique, flood))
    return out


def refloods(klass: str, flood: bool) -> tuple[str, str] | None:
    """A stored click's new (class, reason) once its flood verdict changed; None: unchanged.

    Only human and flood depend on flooding (the rules before it in `classify` win)."""
    if klass == ClickClass.HUMAN.value and flood:
        return ClickClass.FLOOD.value, FLOOD_REASON
    if klass == ClickClass.FLOOD.value and not flood:
        return ClickClass.HUMAN.value, "counted"
    return None


def is_unique(previous: float | None, now: float, window: float) -> bool:
    """A click is unique unless the same visitor clicked the same link within the window.

    Times are epoch seconds: this runs for every ingested click.
    """
    return previous is None or now - previous >= window


def is_flood(recent: Sequence[float], now: float, per_minute: int, minute: float = 60.0) -> bool:
    """Beyond `per_minute` clicks from one visitor on one link in the last minute is a flood.

    `recent` is in time order (oldest first) and all at or before `now`: only the
    `per_minute`-th latest click needs looking at.
    """
    return len(recent) >= per_minute and recent[-per_minute] > now - minute


def device_type(os_family: str, device_family: str) -> str:
    """mobile, tablet, desktop or bot, from ua-parser's OS and device families."""
    device = device_family.lower()
    if device == "spider":
        return "bot"
    if "ipad" in device or "tablet" in device or "kindle" in device:
        return "tablet"
    if os_family in ("iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS"):
        return "mobile"
    return "desktop"


def device_os_key(os_family: str) -> str | None:
    """The targeting key for an OS that has its own app store, if any."""
    return {"iOS": "ios", "Android": "android"}.get(os_family)


@lru_cache(maxsize=20_000)
def referrer_host(referrer: str) -> str:
    """The host a click came from ('' for direct traffic or an unreadable referrer)."""
    if not referrer:
        return ""
    try:
        host = urlsplit(referrer).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")[:255]


def short_url(base_url: str, prefix: str, link_domain: str | None, slug: str) -> str:
    """The address people share: the dedicated link domain's root, else <base URL><prefix>/."""
    if link_domain:
        scheme = "https" if base_url.startswith("https://") else "http"
        return f"{scheme}://{link_domain}/{slug}"
    return f"{base_url}{prefix}/{slug}"


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    """An expired link answers 404 (410 would leak that it once existed)."""
    return expires_at is not None and now >= expires_at
