"""`evergreen sequences …`: add a sequence from a JSON file, list, activate, `run-due`, `preview`,
`event` (an API event from the command line) and `webhook-secret`.

Bad input is one line naming the field and exit 2, with nothing stored (the root command maps
the refusal). `run-due` is what the server's queue does every minute: enrol, walk every step
due at or before `--now`, and deliver the messages it queued when mail is configured.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from evergreen.config import get_settings, resolve_secret_key
from evergreen.console import in_session, migrated_database
from evergreen.db import utcnow
from evergreen.mail import service as mail
from evergreen.sequences import preview as sequence_preview
from evergreen.sequences import queries, service
from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.service.actions import Performer, webhook_secret
from evergreen.sequences.service.events import record_event
from evergreen.siteurl import cli_site_url

__all__ = ["app"]

app = typer.Typer(help="Sequences: autoresponders timed to each subscriber.", no_args_is_help=True)


def _document(path: Path) -> Any:
    """The program file's JSON."""
    try:
        return orjson.loads(path.read_bytes())
    except OSError as exc:
        raise SequenceInputError("file", f"cannot read {path}: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise SequenceInputError("file", f"{path} is not JSON: {exc}") from None


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The sequence's name, how commands find it.")],
    list_name: Annotated[str, typer.Option("--list", help="The list it sends from.")],
    file: Annotated[
        Path, typer.Option("--file", help="JSON: {trigger, steps, messages} (docs/SEQUENCES.md).")
    ],
) -> None:
    """Add a draft sequence; `activate` starts it."""
    document = _document(file)
    stored = in_session(lambda s: service.add_sequence(s, name, list_name, document).name)
    typer.echo(f"Added sequence {stored!r} (draft); start it with: sequences activate {stored}")


def _status(name: str, status: str) -> None:
    stored = in_session(lambda s: service.set_status(s, name, status).status)
    typer.echo(f"Sequence {name.strip()!r} is {stored}.")


@app.command("activate")
def activate(name: Annotated[str, typer.Argument(help="The sequence's name.")]) -> None:
    """Start a sequence: from now on its trigger enrols people and its steps run."""
    _status(name, "active")


@app.command("pause")
def pause(name: Annotated[str, typer.Argument(help="The sequence's name.")]) -> None:
    """Stop a sequence's steps and enrolments until it is activated again."""
    _status(name, "paused")


@app.command("list")
def list_sequences(
    as_json: Annotated[
        bool, typer.Option("--json", help="Every sequence as a JSON array.")
    ] = False,
) -> None:
    """Every sequence with its status and enrolments by status."""
    cards = in_session(queries.sequences, writer=False)
    if as_json:
        typer.echo(orjson.dumps([card.show() for card in cards]).decode())
        return
    for card in cards:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(card.enrolments.items())) or "nobody"
        typer.echo(f"{card.name}  {card.status}  {card.steps} steps  enrolled: {counts}")


@app.command("run-due")
def run_due(
    now: Annotated[
        str, typer.Option("--now", help="Process steps due at or before this ISO 8601 instant.")
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="The counts as a JSON object.")] = False,
) -> None:
    """Enrol, run every step due by --now (default: now) and deliver what it queued."""
    instant = sequence_preview.instant(now, "now") if now else utcnow()
    settings = get_settings()
    outbox = None
    if settings.mail_from and settings.smtp_host:
        outbox = mail.outbox_from_settings(
            settings, resolve_secret_key(settings), cli_site_url(settings).url
        )
    db = migrated_database()
    try:
        performer = Performer.from_settings(settings)
        tick = service.run_due(db, instant, outbox=outbox, performer=performer)
    finally:
        db.dispose()
    found = tick.as_dict()
    if as_json:
        typer.echo(orjson.dumps(found).decode())
        return
    typer.echo(", ".join(f"{key} {value}" for key, value in found.items()))


@app.command("preview")
def preview(
    name: Annotated[str, typer.Argument(help="The sequence's name.")],
    email: Annotated[str, typer.Option("--email", help="The subscriber to preview for.")],
    days: Annotated[int, typer.Option("--days", help="How many days ahead (1 to 366).")] = 60,
    at: Annotated[
        str, typer.Option("--at", help="Simulate an enrolment at this ISO 8601 instant.")
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="The timeline as JSON.")] = False,
) -> None:
    """What one subscriber gets and when, in their time zone (nothing is sent)."""
    when = sequence_preview.instant(at) if at.strip() else None
    found = in_session(
        lambda s: sequence_preview.preview(s, name, email, days=days, at=when).show(),
        writer=False,
    )
    if as_json:
        typer.echo(orjson.dumps(found).decode())
        return
    typer.echo(f"{found['sequence']} for {found['email']} ({found['time_zone']}):")
    for item in found["timeline"]:
        typer.echo(f"  {item['local']}  {item['words']}")
    if not found["timeline"]:
        typer.echo(f"  nothing planned ({found['enrolment'] or 'not enrolled'})")


@app.command("event")
def event(
    email: Annotated[str, typer.Argument(help="The subscriber's address.")],
    name: Annotated[str, typer.Argument(help="The event, e.g. trial_ended or purchase:course.")],
    at: Annotated[str, typer.Option("--at", help="When it happened (ISO 8601; default now).")] = "",
    key: Annotated[
        str, typer.Option("--key", help="Idempotency key: the same key stores one event.")
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="The stored event as JSON.")] = False,
) -> None:
    """Record an event about a subscriber; sequences triggered by it enrol them at the next tick."""
    when = sequence_preview.instant(at) if at else None
    chosen = key or f"cli-{uuid.uuid4()}"
    card = in_session(lambda s: record_event(s, email, name, chosen, when))
    if as_json:
        typer.echo(orjson.dumps(card.show()).decode())
        return
    state = "stored" if card.created else "already stored under this key"
    typer.echo(f"Event {card.name!r} for {card.email}: {state}.")


@app.command("webhook-secret")
def show_webhook_secret() -> None:
    """The secret Webhook steps sign their bodies with (Evergreen-Signature, HMAC-SHA256)."""
    typer.echo(webhook_secret(resolve_secret_key(get_settings())))
