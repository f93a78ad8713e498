"""Public sign-up forms as pure decisions: what a form may be, whether a post came from a person,
how often one client may post, and the signed links of the preference centre.

Bot traps, and how they answer:

- **Honeypot**: a field people never see (``website``); a post that fills it is a bot.
- **Time trap**: every rendered form carries a signed render time (``<seconds>.<signature>``,
  bound to the form's slug). A post sooner than `FormPolicy.min_seconds` after the render is a
  bot; a forged or altered one too. Bots are answered exactly like a person who signed up (the
  same page or JSON) and nothing is stored, so a bot learns nothing to adapt to.
- A post with no render time (a page opened from a cache, an embed without JavaScript) or with
  one older than `FormPolicy.max_age` is not a bot: the form is shown again, filled in, with a
  fresh render time, asking to press the button once more.
- **Time zone**: the hosted page and the snippet send the browser's IANA zone (hidden, not
  typed); one the server does not know is left out, never an error shown to the person.
- **Rate limit**: at most `FormPolicy.rate_limit` posts per client address per
  `FormPolicy.rate_window`, any form; past it the answer is 429 with Retry-After and the wait
  in words.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from evergreen.audience.errors import AudienceInputError
from evergreen.audience.rules.inputs import check_field_name, check_time_zone
from evergreen.money import check_utc

__all__ = [
    "DEFAULT_WORDING",
    "FREQUENCIES",
    "HONEYPOT",
    "FormPolicy",
    "Verdict",
    "browser_zone",
    "check_form_fields",
    "check_origins",
    "check_slug",
    "judge_post",
    "origin_allowed",
    "preference_token",
    "preference_token_matches",
    "rate_wait",
    "read_preference_token",
    "render_token",
    "rendered_at",
    "wait_in_words",
]

DEFAULT_WORDING = (  # a new form's consent wording until the owner writes their own
    "Yes, send me your newsletter. I can unsubscribe at any time with the link in every email."
)
HONEYPOT = "website"  # the trap field's name on the hosted page, the snippet and the JSON post
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
_RENDER_PURPOSE = b"audience-form-render:v1:"
_PREFS_PURPOSE = b"audience-preferences:v1:"
_PREFS_SHAPE = re.compile(r"^[0-9]{1,19}\.[A-Za-z0-9_-]{20,60}$")

# The frequency a person may choose in the preference centre (stored as the field `frequency`).
FREQUENCIES = {
    "all": "Every email",
    "weekly": "At most one a week",
    "monthly": "At most one a month",
}


@dataclass(frozen=True)
class FormPolicy:
    """How fast a person can be, how long a rendered form stays good, and how often one client
    may post."""

    min_seconds: float = 2.0
    max_age: timedelta = timedelta(hours=24)
    rate_limit: int = 20
    rate_window: timedelta = timedelta(minutes=10)


class Verdict(StrEnum):
    """What to do with a post: store it, answer it like success and store nothing, or show the
    form again to be sent once more."""

    ACCEPT = "accept"
    BOT = "bot"
    AGAIN = "again"


def check_slug(value: object) -> str:
    """A form's address part, /f/<slug>: lower-case letters, digits and inner hyphens."""
    if not isinstance(value, str) or not _SLUG.match(value.strip()):
        raise AudienceInputError(
            "slug", "use 1 to 60 lower-case letters, digits or hyphens, e.g. newsletter"
        )
    return value.strip()


def check_origins(text: str) -> list[str]:
    """Allowed web origins, one per line, each scheme://host[:port] with nothing after it."""
    origins: list[str] = []
    for line in text.splitlines():
        item = line.strip().rstrip("/")
        if not item:
            continue
        parts = urlsplit(item)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
            raise AudienceInputError(
                "allowed_origins",
                f"{item!r} is not an origin; write scheme and host only, e.g. https://blog.example.com",
            )
        origins.append(f"{parts.scheme}://{parts.netloc}".lower())
    return origins


def origin_allowed(origin: str | None, allowed: Iterable[str]) -> bool:
    """Whether a browser's Origin may use a form's JSON endpoint (an empty list allows any)."""
    listed = list(allowed)
    if not listed or origin is None:
        return True
    return origin.rstrip("/").lower() in listed


def check_form_fields(values: Iterable[str]) -> list[str]:
    """The custom fields a form asks, by subscriber field name, without repeats."""
    return list(dict.fromkeys(check_field_name(value) for value in values))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _render_signature(secret: str, slug: str, stamp: str) -> str:
    message = _RENDER_PURPOSE + f"{slug}:{stamp}".encode()
    return _b64(hmac.new(secret.encode(), message, hashlib.sha256).digest())


def render_token(secret: str, slug: str, now: datetime) -> str:
    """The signed render time a form carries in its hidden `token` field."""
    stamp = f"{check_utc('now', now).timestamp():.3f}"
    return f"{stamp}.{_render_signature(secret, slug, stamp)}"


def rendered_at(secret: str, slug: str, token: str) -> datetime | None:
    """When the form a post came from was rendered, by its signed token: what the person saw
    then (e.g. the sessions offered) is what they chose from; None for a missing or forged one."""
    stamp, _, signature = token.strip().rpartition(".")
    if not hmac.compare_digest(signature.encode(), _render_signature(secret, slug, stamp).encode()):
        return None
    try:
        return datetime.fromtimestamp(float(stamp), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def judge_post(
    secret: str,
    slug: str,
    token: str,
    honeypot: str,
    now: datetime,
    policy: FormPolicy = FormPolicy(),
) -> Verdict:
    """A person's post, a bot's, or one to send again (see the module's note)."""
    if honeypot.strip():
        return Verdict.BOT
    if not token.strip():
        return Verdict.AGAIN
    rendered = rendered_at(secret, slug, token)
    if rendered is None:
        return Verdict.BOT
    elapsed = (check_utc("now", now) - rendered).total_seconds()
    if elapsed < policy.min_seconds:
        return Verdict.BOT
    if elapsed > policy.max_age.total_seconds():
        return Verdict.AGAIN
    return Verdict.ACCEPT


def rate_wait(times: Iterable[datetime], now: datetime, policy: FormPolicy) -> timedelta | None:
    """How long this client must wait before posting again, or None when it may post now."""
    recent = sorted(at for at in times if now - policy.rate_window < at <= now)
    if len(recent) < policy.rate_limit:
        return None
    # Open again when the oldest post that keeps the count at the limit leaves the window.
    return recent[-policy.rate_limit] + policy.rate_window - now


def wait_in_words(wait: timedelta) -> str:
    """A wait as people say it: '40 seconds', '1 minute', '7 minutes'."""
    seconds = max(1, int(wait.total_seconds() + 0.999))
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _prefs_signature(secret: str, subscriber_id: int, key: str) -> str:
    message = _PREFS_PURPOSE + f"{subscriber_id}:{key}".encode()
    return _b64(hmac.new(secret.encode(), message, hashlib.sha256).digest()[:24])


def preference_token(secret: str, subscriber_id: int, key: str) -> str:
    """The signed part of a person's preference-centre link: their id, bound to their address
    key, so a link stops working if the address is erased (even if the id is used again)."""
    if not secret:
        raise AudienceInputError("secret", "is empty; the app secret signs preference links")
    return f"{subscriber_id}.{_prefs_signature(secret, subscriber_id, key)}"


def read_preference_token(token: str) -> int:
    """The subscriber id a token names (its signature is checked against their address by
    `preference_token_matches`); a malformed one is refused."""
    if not _PREFS_SHAPE.match(token.strip()):
        raise AudienceInputError(
            "token", "this preferences link is not valid; use the newest email"
        )
    return int(token.strip().split(".")[0])


def preference_token_matches(secret: str, token: str, subscriber_id: int, key: str) -> bool:
    """Whether the token was signed for this subscriber and address."""
    expected = preference_token(secret, subscriber_id, key)
    return hmac.compare_digest(token.strip().encode(), expected.encode())


def browser_zone(value: str) -> str | None:
    """The zone a browser reported (Intl's timeZone), or None when it is empty or unknown here:
    the person did not type it, so a wrong one is dropped, not shown to them as an error."""
    try:
        return check_time_zone(value[:64])
    except AudienceInputError:
        return None
