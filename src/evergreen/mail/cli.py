"""`evergreen mail …`: send a test message through the configured server, make a DKIM key.

Bad input (an address, a template, a missing setting) is one line and exit 2; a message the
server refused or deferred is one line naming the server's answer and exit 1.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from evergreen.config import get_settings
from evergreen.console import failure
from evergreen.mail import dkim
from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.headers import parse_address
from evergreen.mail.rules.message import build_message
from evergreen.mail.rules.render import Personal, compile_message
from evergreen.mail.sending.sender import Delivery, Sender
from evergreen.mail.sending.servers import servers_from_settings

__all__ = ["app", "dkim_key_path"]

app = typer.Typer(help="Mail: test sends and DKIM keys.", no_args_is_help=True)


def dkim_key_path(data_dir: Path, domain: str, selector: str) -> Path:
    """Where a domain's DKIM key is kept: the data folder's dkim/ (0600)."""
    return data_dir / "dkim" / f"{selector}.{domain}.pem"


def _signing_key(data_dir: Path, domain: str) -> dkim.DkimKey | None:
    """The first key kept for the sender's domain, if any."""
    for path in sorted((data_dir / "dkim").glob(f"*.{domain}.pem")):
        selector = path.name.removesuffix(f".{domain}.pem")
        return dkim.DkimKey(domain, selector, path.read_bytes())
    return None


@app.command("test-send")
def send_test(
    to: Annotated[str, typer.Argument(help="Who receives the test.")],
    subject: Annotated[str, typer.Option(help="The subject (a template).")],
    body_file: Annotated[Path, typer.Option(help="The body: Markdown, or HTML with --html.")],
    html: Annotated[bool, typer.Option("--html", help="The body file is HTML.")] = False,
    name: Annotated[str, typer.Option(help="The recipient's name, for the template.")] = "",
) -> None:
    """Render one message strictly and send it through the configured SMTP server."""
    settings = get_settings()
    if not settings.mail_from:
        raise MailInputError("mail_from", "set EVERGREEN_MAIL_FROM to the sender's address")
    try:
        body = body_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MailInputError("body_file", f"cannot read {body_file}: {exc}") from None
    sender = parse_address("mail_from", settings.mail_from)
    recipient = parse_address("to", to, name)
    template = compile_message(subject, body, "html" if html else "markdown", strict=True)
    rendered = template.render(Personal(recipient.email, recipient.name))
    outgoing = build_message(sender=sender, to=recipient, rendered=rendered, now=datetime.now(UTC))
    data = outgoing.as_bytes()
    key = _signing_key(settings.data_dir, sender.domain)
    if key is not None:
        data = dkim.sign(data, key)
    servers = servers_from_settings(settings)

    async def send() -> Delivery:
        async with Sender(servers) as mailer:
            return await mailer.send(outgoing, data)

    delivery = asyncio.run(send())
    if delivery.outcome != "sent":
        code = f"{delivery.code} " if delivery.code else ""
        failure(f"not sent ({delivery.outcome}): {code}{delivery.text}")
        raise typer.Exit(1)
    signed = f", DKIM-signed ({key.selector})" if key else ""
    typer.echo(f"Sent to {recipient.email} via {delivery.server}{signed}: {delivery.text}")


@app.command("dkim-keygen")
def dkim_keygen(
    domain: Annotated[str, typer.Option(help="The sender's domain, e.g. example.com.")],
    selector: Annotated[str, typer.Option(help="A name for this key, e.g. mail2025.")],
    force: Annotated[bool, typer.Option(help="Replace a key already kept.")] = False,
) -> None:
    """Make an RSA 2048 key, keep it in the data folder, print the DNS record to publish."""
    key = dkim.generate_key(domain, selector)
    record = dkim.dns_record(key)
    path = dkim_key_path(get_settings().data_dir, key.domain, key.selector)
    if path.exists() and not force:
        raise MailInputError("selector", f"a key is already kept at {path} (use --force)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.private_pem)
    typer.echo(f"Key kept in {path}")
    typer.echo("Publish this DNS TXT record:")
    typer.echo(f"name:  {record.name}")
    typer.echo(f"value: {record.value}")
