"""What sending needs besides the database, read once from the settings: who sends, the site
links point to, the postal footer, the SMTP servers and the DKIM key."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from evergreen.config import Settings
from evergreen.mail import dkim
from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.headers import Address, parse_address
from evergreen.mail.rules.render import Footer
from evergreen.mail.sending.servers import SmtpServer, servers_from_settings

__all__ = ["Outbox", "outbox_from_settings", "signing_key"]


@dataclass(frozen=True)
class Outbox:
    """Everything a broadcast's sender needs that is not in the database."""

    settings: Settings
    secret: str
    site: str  # the base URL links and the unsubscribe URL start with, no trailing slash
    sender: Address
    footer: Footer
    servers: tuple[SmtpServer, ...]
    dkim_key: dkim.DkimKey | None

    @property
    def allow_http(self) -> bool:
        """An http:// unsubscribe URL only outside production (a site without TLS)."""
        return self.settings.env != "production"


def signing_key(data_dir: Path, domain: str) -> dkim.DkimKey | None:
    """The first DKIM key kept for the sender's domain (`evergreen mail dkim-keygen`), if any."""
    for path in sorted((data_dir / "dkim").glob(f"*.{domain}.pem")):
        selector = path.name.removesuffix(f".{domain}.pem")
        return dkim.DkimKey(domain, selector, path.read_bytes())
    return None


def outbox_from_settings(settings: Settings, secret: str, site: str) -> Outbox:
    """The outbox, or a MailInputError naming the missing or bad setting."""
    if not settings.mail_from:
        raise MailInputError("mail_from", "set EVERGREEN_MAIL_FROM to the sender's address")
    name, address = parseaddr(settings.mail_from)  # "News <news@example.com>" or the address
    sender = parse_address("mail_from", address or settings.mail_from, name)
    site = site.rstrip("/")
    if settings.env == "production" and not site.startswith("https://"):
        raise MailInputError(
            "base_url", "one-click unsubscribe needs an https:// EVERGREEN_BASE_URL (RFC 8058)"
        )
    return Outbox(
        settings=settings,
        secret=secret,
        site=site,
        sender=sender,
        footer=Footer(settings.mail_postal_address, sender.name),
        servers=tuple(servers_from_settings(settings)),
        dkim_key=signing_key(settings.data_dir, sender.domain),
    )
