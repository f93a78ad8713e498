"""`evergreen mail …`: broadcasts (write, send, pause, resume, cancel), bounces applied, clicks
folded into activity, test sends and DKIM keys.

Bad input (an address, a template, a missing setting) is one line and exit 2; a message the
server refused or deferred is one line naming the server's answer and exit 1.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, TypeVar

import orjson
import typer
from sqlalchemy.orm import Session

from evergreen.audience import service as audience_service
from evergreen.config import get_settings, resolve_secret_key
from evergreen.console import err, failure, migrated_database, row_id_argument
from evergreen.mail import dkim, queries, service
from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.headers import parse_address
from evergreen.mail.rules.message import build_message
from evergreen.mail.rules.render import Personal, compile_message
from evergreen.mail.sending.sender import Delivery, Sender
from evergreen.mail.sending.servers import servers_from_settings
from evergreen.mail.service.delivery import LEASE
from evergreen.siteurl import cli_site_url

__all__ = ["app", "dkim_key_path"]

app = typer.Typer(help="Mail: broadcasts, bounces, test sends and DKIM keys.", no_args_is_help=True)
T = TypeVar("T")


def _in_session(work: Callable[[Session], T]) -> T:
    """Run one service call in a transaction of the configured database."""
    db = migrated_database()
    try:
        with db.session() as session:
            return work(session)
    finally:
        db.dispose()


def _read(path: Path, field: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MailInputError(field, f"cannot read {path}: {exc}") from None


def _say_waiting(due: datetime) -> None:
    err.print(service.waiting_line(due), highlight=False)


def _send(
    broadcast_id: int | None, wait: bool, lease_s: float | None = None, processes: int = 1
) -> tuple[service.Report, int]:
    """Run the sender loop here (what the server's queue does every minute), or in `processes`
    child processes sharing the rows; returns the counts and how many children died."""
    settings = get_settings()
    outbox = service.outbox_from_settings(
        settings, resolve_secret_key(settings), cli_site_url(settings).url
    )
    db = migrated_database()
    lease = LEASE if lease_s is None else timedelta(seconds=lease_s)
    try:
        if processes == 1:
            report = service.send_due(
                db, outbox, broadcast_id=broadcast_id, wait=wait, lease=lease, on_wait=_say_waiting
            )
            return report, 0
    finally:
        db.dispose()
    fleet = service.send_in_processes(
        db.url, outbox, processes, broadcast_id=broadcast_id, wait=wait, lease=lease,
        say_waiting=True,
    )  # fmt: skip
    if fleet.lost:
        codes = ", ".join(str(c.exitcode) for c in fleet.children if c.report is None)
        failure(
            f"{fleet.lost} of {processes} sending processes ended without a report (exit "
            f"{codes}); the rows they had claimed are taken over after the lease"
        )
    return fleet.total, fleet.lost


_PROCESSES = typer.Option(
    "--processes",
    min=1,
    max=64,
    help="Send from this many processes sharing the broadcast (one per spare core).",
)


@app.command("broadcast")
def broadcast(
    list_name: Annotated[str, typer.Option("--list", help="The list to send to.")],
    subject: Annotated[str, typer.Option(help="The subject (a template).")],
    body_file: Annotated[Path, typer.Option(help="The body: Markdown, or HTML with --html.")],
    segment: Annotated[
        str,
        typer.Option(
            "--segment",
            help="Only the list's subscribed people in this saved segment (by name), as it "
            "matches when sending starts.",
        ),
    ] = "",
    html: Annotated[bool, typer.Option("--html", help="The body file is HTML.")] = False,
    send: Annotated[bool, typer.Option("--send", help="Send now (else keep a draft).")] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Send from here until done; print the counts.")
    ] = False,
    processes: Annotated[int, _PROCESSES] = 1,
) -> None:
    """Write a broadcast to a list (or a segment of it); --send queues it, --wait sends it here
    and prints {"sent", "skipped", "failed"} when every recipient has an outcome."""
    body = _read(body_file, "body_file")
    if wait and not send:
        raise MailInputError("wait", "--wait needs --send")
    if processes > 1 and not wait:
        raise MailInputError("processes", "--processes sends from here: it needs --wait")
    if send:  # refuse a missing sender or server before anything is stored
        if not get_settings().mail_from:
            raise MailInputError("mail_from", "set EVERGREEN_MAIL_FROM to the sender's address")
        servers_from_settings(get_settings())

    def create(session: Session) -> tuple[int, str]:
        target = audience_service.list_named(session, list_name)
        fmt = "html" if html else "markdown"
        draft = service.Draft(subject, body, target.id, fmt, segment or None)
        row = service.create_broadcast(session, draft)
        if send:
            row = service.act(session, row.id, "send")
        return row.id, row.status

    broadcast_id, status = _in_session(create)
    if not wait:
        typer.echo(f"Broadcast {broadcast_id}: {status}")
        return
    report, lost = _send(broadcast_id, wait=True, processes=processes)
    counts = _in_session(lambda session: service.counts(session, broadcast_id))
    result = service.summary(counts)
    if report.maybe_delivered:
        result["maybe_delivered"] = report.maybe_delivered
    typer.echo(orjson.dumps(result).decode())
    if lost:  # said on stderr; these counts miss what the dead processes did
        raise typer.Exit(1)


@app.command("send")
def send_now(
    broadcast_id: Annotated[int | None, row_id_argument("Only this broadcast.")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Until every broadcast is done.")] = False,
    lease: Annotated[
        float | None,
        typer.Option(help="Seconds after which an unanswered claim is taken over.", hidden=True),
    ] = None,
    processes: Annotated[int, _PROCESSES] = 1,
) -> None:
    """Send what is due now (the server's queue does this every minute); prints the counts."""
    if lease is not None and not 0 <= lease <= 86_400:  # NaN too; 0: take every claim over now
        raise failure("--lease: seconds from 0 to 86400")
    report, lost = _send(broadcast_id, wait, lease, processes)
    typer.echo(
        orjson.dumps(
            {
                "sent": report.sent,
                "bounced": report.bounced,
                "deferred": report.deferred,
                "failed": report.failed,
                "skipped": report.skipped,
                "maybe_delivered": report.maybe_delivered,
            }
        ).decode()
    )
    if lost:  # said on stderr; these counts miss what the dead processes did
        raise typer.Exit(1)


@app.command("broadcasts")
def list_broadcasts(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Broadcasts, newest first, with their counts."""
    rows = _in_session(lambda session: queries.broadcasts(session))
    if as_json:
        typer.echo(orjson.dumps([row.to_dict() for row in rows]).decode())
        return
    if not rows:
        typer.echo("No broadcasts yet: evergreen mail broadcast --list NAME …")
    for row in rows:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(row.counts.items())) or "none"
        typer.echo(f"{row.id}  {row.status:<9}  {row.subject}  ({counts})")


def _act(broadcast_id: int, action: str) -> None:
    row = _in_session(lambda session: service.act(session, broadcast_id, action).status)
    typer.echo(f"Broadcast {broadcast_id}: {row}")


@app.command("pause")
def pause(broadcast_id: Annotated[int, row_id_argument("The broadcast.")]) -> None:
    """Stop sending after the messages in flight; resume carries on from there."""
    _act(broadcast_id, "pause")


@app.command("resume")
def resume(broadcast_id: Annotated[int, row_id_argument("The broadcast.")]) -> None:
    """Carry on sending a paused broadcast (nobody gets it twice)."""
    _act(broadcast_id, "resume")


@app.command("cancel")
def cancel(broadcast_id: Annotated[int, row_id_argument("The broadcast.")]) -> None:
    """Stop a broadcast for good; people not yet sent to are skipped."""
    _act(broadcast_id, "cancel")


@app.command("bounce")
def bounce(
    file: Annotated[Path, typer.Argument(help="One message (.eml): a bounce, a complaint…")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Read one returned message and apply it: hard bounce suppresses, soft counts, complaint
    unsubscribes and suppresses; anything else changes nothing."""
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise MailInputError("file", f"cannot read {file}: {exc}") from None
    secret = resolve_secret_key(get_settings())
    applied = _in_session(lambda session: service.apply_message(session, secret, raw))
    result = applied.result.to_dict()
    if as_json:
        typer.echo(orjson.dumps(result).decode())
        return
    if applied.unsubscribed:
        typer.echo("An unsubscribe request (List-Unsubscribe mailto): applied.")
    elif not applied.result.bounce:
        typer.echo("Not a bounce or a complaint: nothing changed.")
    for recipient in applied.result.recipients:
        typer.echo(f"{recipient.address}: {recipient.kind} {recipient.status}".rstrip())


def dkim_key_path(data_dir: Path, domain: str, selector: str) -> Path:
    """Where a domain's DKIM key is kept: the data folder's dkim/ (0600)."""
    return data_dir / "dkim" / f"{selector}.{domain}.pem"


def _signing_key(data_dir: Path, domain: str) -> dkim.DkimKey | None:
    """The first key kept for the sender's domain, if any."""
    for path in sorted((data_dir / "dkim").glob(f"*.{domain}.pem")):
        selector = path.name.removesuffix(f".{domain}.pem")
        return dkim.DkimKey(domain, selector, path.read_bytes())
    return None


@app.command("fold-clicks")
def fold_clicks(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Make the clicks stored since the last fold on mail links the clickers' `clicked`
    activity (the minute task does this too); each click counts once."""
    secret = resolve_secret_key(get_settings())
    db = migrated_database()
    try:
        folded = service.fold_backlog(db, secret)
    finally:
        db.dispose()
    if as_json:
        typer.echo(orjson.dumps(folded.to_dict()).decode())
        return
    typer.echo(
        f"{folded.recorded} clicks became activity ({folded.read} read; skipped: "
        f"{folded.not_human} not human, {folded.bad_token} not our token, {folded.gone} erased)."
    )


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
