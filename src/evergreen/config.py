"""Typed settings, read once from EVERGREEN_* environment variables."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from evergreen.errors import InputError
from evergreen.urls import check_http_url

__all__ = [
    "Settings",
    "SettingsError",
    "get_settings",
    "is_weak_secret",
    "load_settings",
    "resolve_secret_key",
]

_MIN_SECRET_LENGTH = 32
_SECRET_FILE = "secret_key"  # noqa: S105 (a file name)


class SettingsError(Exception):
    """A setting that cannot work, explained in words an operator can act on."""


def _default_data_dir() -> Path:
    """Per-user data folder (XDG on Linux), so a bare `evergreen serve` needs no flags."""
    return Path(platformdirs.user_data_dir("evergreen", appauthor=False))


def is_weak_secret(value: str) -> str | None:
    """Say why a secret key is too weak to sign sessions and links, or None if it is fine."""
    if len(value) < _MIN_SECRET_LENGTH:
        return f"it is {len(value)} characters; use at least {_MIN_SECRET_LENGTH}"
    if len(set(value)) < 10:
        return "it repeats too few distinct characters"
    lowered = value.lower()
    for word in ("changeme", "secret", "password", "evergreen", "example"):
        if word in lowered:
            return f"it contains the guessable word {word!r}"
    return None


class Settings(BaseSettings):
    """Everything Evergreen reads from its environment, validated at start."""

    model_config = SettingsConfigDict(env_prefix="EVERGREEN_", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Field(default_factory=_default_data_dir)
    secret_key: SecretStr | None = None
    database_url: str | None = None
    redis_url: str | None = None
    # Tells apart installations (or test clusters) sharing one Redis: their queues and claims.
    queue_name: str = "evergreen"
    # None: each absolute URL uses the address its request reached (evergreen.siteurl).
    base_url: str | None = None
    trusted_proxies: str = "127.0.0.1"
    queue_workers: int = Field(default=2, ge=1, le=64)
    # Seconds between a queue consumer's checks of the periodic schedule: a minute's tasks are
    # enqueued at most this long after the minute starts (each minute still once: the claim).
    periodic_check_s: int = Field(default=60, ge=1, le=60)
    web_workers: int = Field(default=1, ge=1, le=64)
    session_days: int = Field(default=14, ge=1, le=365)
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lock_minutes: int = Field(default=15, ge=1, le=1440)
    link_prefix: str = "/go"
    link_domain: str | None = None
    link_fallback_url: str | None = None
    click_unique_minutes: int = Field(default=60, ge=1, le=1440)
    click_flood_per_minute: int = Field(default=30, ge=30, le=10000)
    internal_ips: str = ""
    click_sync_ms: int = Field(default=200, ge=0, le=10000)
    click_ingest_delay_s: int = Field(default=10, ge=0, le=300)
    # Under sustained overload, how long the oldest click may wait unstored before redirects
    # slow down so that the ingester catches up (links.clicks.backpressure); 0: never.
    click_backlog_s: float = Field(default=5.0, ge=0, le=3600)
    # Seconds a stopping server (SIGTERM) gives requests in flight, and then the clicks still in
    # its spool; what is left after that stays in the spool for the next ingester.
    drain_timeout_s: int = Field(default=30, ge=1, le=3600)
    # auto: each ingester notes itself in the database and, while another is seen, decides
    # unique and flood from the stored clicks; single: memory only; shared: always the database.
    click_ingesters: Literal["auto", "single", "shared"] = "auto"
    partner_signup: bool = False
    webhook_allow: str = ""
    link_check_allow: str = ""
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_rate: float = Field(default=0.0, ge=0, le=100_000)  # messages/s per server, 0 = no limit
    smtp_pool: int = Field(default=4, ge=1, le=64)  # connections kept open per server
    # More servers for failover, smtp[s|+starttls]://… comma-separated; read (and refused with
    # the reason) by the mail area when it sends: evergreen.mail.sending.servers.
    smtp_servers: str = ""
    mail_from: str | None = None
    # Processes the server's background sender sends from each minute (claims keep them apart).
    mail_senders: int = Field(default=1, ge=1, le=64)
    # The postal address every bulk message ends with (CAN-SPAM, Gmail's bulk-sender rules).
    mail_postal_address: str = ""
    # The seller on invoices and credit notes (commerce): its name (unset: the postal address's
    # first line; the address is mail_postal_address) and its tax id (VAT number), if any.
    seller_name: str = ""
    seller_tax_id: str = ""
    # Where a borrower wires a payoff (lending's payoff letters): bank, account, reference;
    # lines separated by newlines or " | ". Unset: the letter asks them to call for it.
    lending_wire_instructions: str = ""
    # A Maildir that bounces and complaints arrive in (the VERP return path's mailbox); polled
    # every minute by the mail area, read messages moved to cur/.
    mail_bounce_maildir: Path | None = None
    # Provider bounce/complaint webhooks (POST /mail/hooks/…); a route whose setting is unset
    # answers 404. Postmark: the basic-auth pair put in its webhook URL. SendGrid: the signed
    # event webhook's public key (base64). Mailgun: the webhook signing key. SES: the SNS topic
    # ARNs (comma-separated) whose notifications are accepted.
    mail_hook_postmark_user: str = ""
    mail_hook_postmark_password: SecretStr | None = None
    mail_hook_sendgrid_public_key: str = ""
    mail_hook_mailgun_signing_key: SecretStr | None = None
    mail_hook_ses_topics: str = ""
    # Stripe (commerce payments): the secret API key, the webhook endpoint's signing secret, and
    # the API address (unset: Stripe's own; tests point it at localstripe).
    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_base: str | None = None
    # The publishable key and the Stripe.js address the checkout page loads (tests: localstripe's).
    stripe_publishable_key: str = ""
    stripe_js_url: str = "https://js.stripe.com/v3/"
    # Subscriptions: days a failed renewal may stay unpaid (retries and reminder mails) before
    # the subscription ends as delinquent.
    subscription_grace_days: int = Field(default=7, ge=1, le=60)

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http:// or https:// URL such as https://money.example.com")
        return value.rstrip("/")

    @field_validator("link_prefix")
    @classmethod
    def _check_link_prefix(cls, value: str) -> str:
        cleaned = "/" + value.strip("/")
        if not re.fullmatch(r"/[a-z0-9_-]{1,32}", cleaned) or cleaned in ("/api", "/static"):
            raise ValueError("must be one path segment such as /go (not /api or /static)")
        return cleaned

    @field_validator("link_fallback_url")
    @classmethod
    def _check_link_fallback_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return check_http_url("link_fallback_url", value)
        except InputError as exc:
            raise ValueError(f"{exc.message} (e.g. https://example.com/)") from None

    @field_validator("internal_ips")
    @classmethod
    def _check_internal_ips(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network like 203.0.113.0/24"
                ) from None
        return value

    @field_validator("webhook_allow", "link_check_allow")
    @classmethod
    def _check_webhook_allow(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,252})", item):
                    raise ValueError(
                        f"{item!r} is not a host name, IP address or network "
                        "(e.g. hooks.internal, 127.0.0.1, 10.0.0.0/8)"
                    ) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        scheme = value.split("://", 1)[0]
        if scheme in ("postgres", "postgresql"):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        if scheme in ("sqlite", "postgresql+psycopg"):
            return value
        raise ValueError(
            "must start with sqlite:/// or postgresql:// (for example postgresql://user@host/db)"
        )

    @field_validator("queue_name")
    @classmethod
    def _check_queue_name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9_-]{1,40}", value):
            raise ValueError("must be 1 to 40 of a-z, 0-9, - and _ (for example shop-2)")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix:// (redis://host:6379/0)")
        return value

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Settings:
        if self.env != "production":
            return self
        if self.secret_key is None:
            raise ValueError(
                "EVERGREEN_SECRET_KEY is required when EVERGREEN_ENV=production; "
                'generate one with: python3 -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        reason = is_weak_secret(self.secret_key.get_secret_value())
        if reason:
            raise ValueError(f"EVERGREEN_SECRET_KEY is too weak for production: {reason}")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to the embedded SQLite file in the data folder."""
        return self.database_url or f"sqlite:///{self.data_dir / 'evergreen.db'}"

    @property
    def is_embedded(self) -> bool:
        """True on the single-machine default: SQLite and the in-process queue."""
        return self.redis_url is None

    @property
    def secure_cookies(self) -> bool:
        """Mark cookies Secure whenever the site is served over https."""
        return self.base_url is not None and self.base_url.startswith("https://")


def resolve_secret_key(settings: Settings) -> str:
    """Return the configured secret, or generate and keep one in the data folder on first run."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = settings.data_dir / _SECRET_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must not write different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def load_settings() -> Settings:
    """Build settings from the environment, turning validation errors into one readable message."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            name = f"EVERGREEN_{field.upper()}" if field else "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"{name}: {message}")
        raise SettingsError("Invalid settings:\n  " + "\n  ".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
