"""The SMTP servers to send through, from the settings.

The first server is EVERGREEN_SMTP_HOST (with _PORT, _USERNAME, _PASSWORD, _STARTTLS); more
come from EVERGREEN_SMTP_SERVERS, comma-separated URLs tried in order when one fails:

    smtp://host:25            plain; STARTTLS used when the server offers it
    smtp+starttls://u:p@host:587   STARTTLS required
    smtps://u:p@host:465      TLS from the first byte
    smtp://host:25?rate=20&pool=4&tls=never   20 messages/s, 4 connections, never STARTTLS

A server with a user name always requires TLS (a password never crosses in clear).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from evergreen.config import Settings
from evergreen.mail.errors import MailInputError

__all__ = ["SmtpServer", "parse_servers", "servers_from_settings"]

Security = Literal["offered", "starttls", "tls", "never"]


@dataclass(frozen=True)
class SmtpServer:
    """One server: where, how to log in, how to encrypt, how fast and how many connections."""

    host: str
    port: int = 25
    username: str = ""
    password: str = ""
    security: Security = "offered"
    rate: float = 0.0  # messages a second; 0 for no limit
    pool: int = 4
    timeout: float = 30.0

    @property
    def label(self) -> str:
        """How results and logs name the server (never with the password)."""
        return f"{self.host}:{self.port}"


def _number(field: str, raw: str, low: float, high: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise MailInputError(field, f"{raw!r} is not a number") from None
    if not low <= value <= high:
        raise MailInputError(field, f"must be from {low:g} to {high:g}")
    return value


def parse_servers(text: str) -> list[SmtpServer]:
    """EVERGREEN_SMTP_SERVERS as servers; a bad URL is a MailInputError naming it."""
    servers = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        parts = urlsplit(item)
        schemes = {"smtp": "offered", "smtp+starttls": "starttls", "smtps": "tls"}
        if parts.scheme not in schemes or not parts.hostname:
            raise MailInputError(
                "smtp_servers", f"{item!r} is not smtp://, smtp+starttls:// or smtps://host:port"
            )
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        security: Security = schemes[parts.scheme]  # type: ignore[assignment]
        if query.get("tls") == "never":
            security = "never"
        try:
            port = parts.port or (465 if security == "tls" else 587)
        except ValueError:
            raise MailInputError("smtp_servers", f"{item!r} has a bad port") from None
        servers.append(
            _checked(
                SmtpServer(
                    host=parts.hostname,
                    port=port,
                    username=unquote(parts.username or ""),
                    password=unquote(parts.password or ""),
                    security=security,
                    rate=_number("smtp_servers rate", query.get("rate", "0"), 0, 100_000),
                    pool=int(_number("smtp_servers pool", query.get("pool", "4"), 1, 64)),
                    timeout=_number("smtp_servers timeout", query.get("timeout", "30"), 1, 600),
                )
            )
        )
    return servers


def _checked(server: SmtpServer) -> SmtpServer:
    if server.username and server.security in ("offered", "never"):
        if server.security == "never":
            raise MailInputError("smtp_servers", f"{server.label}: a login needs TLS")
        return SmtpServer(**{**server.__dict__, "security": "starttls"})
    return server


def servers_from_settings(settings: Settings) -> list[SmtpServer]:
    """Every configured server, the EVERGREEN_SMTP_HOST one first."""
    servers = []
    if settings.smtp_host:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
        servers.append(_checked(SmtpServer(
            host=settings.smtp_host, port=settings.smtp_port,
            username=settings.smtp_username or "", password=password,
            security="tls" if settings.smtp_port == 465
            else "offered" if settings.smtp_starttls else "never",
            rate=settings.smtp_rate, pool=settings.smtp_pool,
        )))  # fmt: skip
    servers += parse_servers(settings.smtp_servers)
    if not servers:
        raise MailInputError("smtp_host", "no SMTP server: set EVERGREEN_SMTP_HOST")
    return servers
