"""`evergreen webinars …`: add a webinar, list them, the sessions a registrant is offered, who
registered, its analytics, and its content: the recording (video), offers and the chat script.

Bad input (a schedule, a zone, a date) is one line naming the field and exit 2, with nothing
stored: each command is one transaction, and the root command maps the refusal.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import orjson
import typer
from sqlalchemy.orm import Session

from evergreen.config import get_settings
from evergreen.console import in_session, row_id_argument, row_id_option
from evergreen.webinars import analytics, content, queries, service
from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.rules import iso_utc

__all__ = ["app"]

app = typer.Typer(
    help="Evergreen webinars: recorded webinars and the sessions each registrant is offered.",
    no_args_is_help=True,
)


def _instant(text: str) -> datetime:
    """An ISO 8601 instant; one without an offset is read as UTC."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise WebinarInputError(
            "registered_at", f"{text[:40]!r} is not an ISO 8601 time, e.g. 2026-12-07T14:00:00Z"
        ) from None


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The webinar's name, how commands find it.")],
    duration_minutes: Annotated[
        int, typer.Option("--duration-minutes", help="The recording's length in minutes.")
    ],
    schedule: Annotated[
        str,
        typer.Option(
            "--schedule",
            help="jit:N[@HH:MM-HH:MM[,mon-fri]], daily:HH:MM[,HH:MM…], "
            "weekly:mon,wed:HH:MM[,HH:MM…] or dates:YYYY-MM-DDTHH:MM[,…].",
        ),
    ],
    timezone: Annotated[
        str,
        typer.Option("--timezone", help="viewer (each viewer's own zone) or e.g. Europe/London."),
    ],
    blackout: Annotated[
        list[str] | None,
        typer.Option("--blackout", help="A local date with no session, YYYY-MM-DD (repeatable)."),
    ] = None,
    title: Annotated[
        str, typer.Option(help="The title shown to visitors (default: the name).")
    ] = "",
    presenter: Annotated[str, typer.Option(help="Who presents it.")] = "",
    video_url: Annotated[str, typer.Option("--video-url", help="The recording's address.")] = "",
    replay_hours: Annotated[
        int, typer.Option("--replay-hours", help="How long each registrant's replay stays open.")
    ] = 48,
    slug: Annotated[
        str, typer.Option("--slug", help="The public registration page's address, /w/SLUG.")
    ] = "",
    list_id: Annotated[int | None, row_id_option("The audience list consent joins.")] = None,
    consent_wording: Annotated[
        str, typer.Option("--consent-wording", help="The words beside the consent checkbox.")
    ] = "",
) -> None:
    """Add a webinar with its schedule; prints what was stored."""
    draft = service.WebinarDraft(
        name=name,
        duration_minutes=duration_minutes,
        schedule=schedule,
        timezone=timezone,
        blackout_dates=tuple(blackout or ()),
        title=title,
        presenter=presenter,
        video_url=video_url or None,
        replay_hours=replay_hours,
        slug=slug or None,
        list_id=list_id,
        consent_wording=consent_wording,
    )
    card = in_session(lambda s: queries.webinar_card(s, service.add_webinar(s, draft).id))
    assert card is not None
    typer.echo(
        f"Added webinar {card.name!r} (id {card.id}): {card.duration_minutes} minutes, "
        f"schedule {card.schedule}, time zone {card.timezone}, "
        f"blackout dates {', '.join(card.blackout_dates) or 'none'}."
    )
    typer.echo(card.schedule_words)
    if card.slug:
        typer.echo(f"Registration page: /w/{card.slug}")


@app.command("sessions")
def sessions(
    name: Annotated[str, typer.Argument(help="The webinar's name.")],
    registered_at: Annotated[
        str, typer.Option("--registered-at", help="When the visitor registers (ISO 8601).")
    ],
    viewer_timezone: Annotated[
        str, typer.Option("--viewer-timezone", help="The visitor's zone, e.g. America/New_York.")
    ],
    count: Annotated[int, typer.Option("--count", help="How many sessions to offer.")] = 3,
    as_json: Annotated[
        bool, typer.Option("--json", help="A JSON array of UTC times, 2026-12-07T15:00:00Z.")
    ] = False,
) -> None:
    """The next sessions offered to someone registering then, from that zone (UTC, in order)."""
    when = _instant(registered_at)
    starts = in_session(
        lambda s: queries.sessions_for(s, queries.id_named(s, name), when, viewer_timezone, count),
        writer=False,
    )
    shown = [iso_utc(start) for start in starts]
    if as_json:
        typer.echo(orjson.dumps(shown).decode())
        return
    for line in shown:
        typer.echo(line)


@app.command("list")
def list_webinars(
    as_json: Annotated[bool, typer.Option("--json", help="Every webinar as a JSON array.")] = False,
) -> None:
    """Every webinar with its schedule."""
    cards = in_session(queries.list_webinars, writer=False)
    if as_json:
        typer.echo(orjson.dumps([card.to_dict() for card in cards]).decode())
        return
    if not cards:
        typer.echo("No webinars yet: evergreen webinars add NAME --duration-minutes M …")
    for card in cards:
        typer.echo(
            f"{card.id}  {card.name}  ({card.duration_minutes} min): {card.schedule} "
            f"[{card.timezone}] — {card.schedule_words}"
        )


@app.command("registrations")
def registrations(
    name: Annotated[str, typer.Argument(help="The webinar's name.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="A JSON array, times in UTC (2026-12-07T15:00:00Z).")
    ] = False,
) -> None:
    """Who registered, newest first: address, session (UTC and their zone) and source."""
    cards = in_session(
        lambda s: queries.registrations_of(s, queries.id_named(s, name)), writer=False
    )
    if as_json:
        typer.echo(orjson.dumps([card.to_dict() for card in cards]).decode())
        return
    if not cards:
        typer.echo(f"Nobody has registered for {name.strip()!r} yet.")
    for card in cards:
        local = card.session_start.astimezone(ZoneInfo(card.viewer_timezone))
        source = " ".join(f"{k}={v}" for k, v in card.source.items()) or "direct"
        typer.echo(
            f"{card.email}  {iso_utc(card.session_start)}  "
            f"({local:%Y-%m-%d %H:%M} {card.viewer_timezone})  {source}"
        )


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


@app.command("analytics")
def webinar_analytics(
    name: Annotated[str, typer.Argument(help="The webinar's name.")],
    by: Annotated[
        str, typer.Option("--by", help="channel, utm_source, utm_medium, utm_campaign, sub1…")
    ] = "channel",
    as_json: Annotated[bool, typer.Option("--json", help="The figures as JSON.")] = False,
) -> None:
    """Registrations, show-up rate, watch time, drop-off and offers, by traffic source."""
    found = in_session(
        lambda s: analytics.webinar_analytics(s, queries.id_named(s, name), by).to_dict(),
        writer=False,
    )
    if as_json:
        typer.echo(orjson.dumps(found).decode())
        return
    total, offers = found["total"], found["offers"]
    typer.echo(
        f"{found['name']}: {total['registrations']} registered, {total['final']} sessions over, "
        f"show-up {_rate(total['show_up_rate'])} ({total['attended']} attended, "
        f"{total['left_early']} of them left early, {total['missed']} missed), "
        f"average watch {total['average_watch_seconds'] or 0} s"
    )
    earned = ", ".join(f"{c} {a}" for c, a in offers["earnings"].items()) or "nothing yet"
    typer.echo(f"offers: {offers['clicks']} clicks, {offers['sales']} sales, earned {earned}")
    for row in found["sources"]:
        typer.echo(
            f"  {by}={row['key']}: {row['registrations']} registered, "
            f"show-up {_rate(row['show_up_rate'])}"
        )


offer_app = typer.Typer(help="Offers shown in the room at a second.", no_args_is_help=True)
chat_app = typer.Typer(
    help="The chat script: real questions from earlier sessions.", no_args_is_help=True
)
app.add_typer(offer_app, name="offer")
app.add_typer(chat_app, name="chat")
AtSecond = Annotated[int, typer.Option("--at-second", help="Seconds into the recording.")]


@offer_app.command("add")
def offer_add(
    name: Annotated[str, typer.Argument(help="The webinar's name.")],
    at_second: AtSecond,
    title: Annotated[str, typer.Option("--title", help="The offer's headline.")],
    url: Annotated[str, typer.Option("--url", help="Where its button leads (tracked).")],
    button: Annotated[str, typer.Option("--button", help="The button's text.")] = "",
    deadline_minutes: Annotated[
        int | None,
        typer.Option("--deadline-minutes", help="A real deadline, minutes after it appears."),
    ] = None,
) -> None:
    """Add an offer; its button becomes a tracking link (channel webinar)."""
    draft = content.OfferDraft(at_second, title, url, button, deadline_minutes)

    def work(session: Session) -> str:
        row = content.add_offer(session, queries.id_named(session, name), draft)
        deadline = f", closes {row.deadline_minutes} min after" if row.deadline_minutes else ""
        return (
            f"Added offer {row.id} {row.title!r} at second {row.at_second}{deadline}; "
            f"button {row.button!r} → tracking link {row.link_slug}."
        )

    typer.echo(in_session(work))


@offer_app.command("list")
def offer_list(name: Annotated[str, typer.Argument(help="The webinar's name.")]) -> None:
    """The webinar's offers in the order they appear."""

    def work(session: Session) -> list[str]:
        rows = content.offers_of(session, queries.id_named(session, name))
        return [
            f"{row.id}  at {row.at_second}s  {row.title}  → {row.url}  "
            f"deadline {row.deadline_minutes or 'none'}  link {row.link_slug}"
            for row in rows
        ] or ["No offers yet."]

    for line in in_session(work, writer=False):
        typer.echo(line)


@offer_app.command("remove")
def offer_remove(
    name: Annotated[str, typer.Argument(help="The webinar's name.")],
    offer_id: Annotated[int, row_id_argument("The offer's id (offer list).")],
) -> None:
    """Remove an offer from the room (its tracking link stays)."""
    in_session(lambda s: content.delete_offer(s, queries.id_named(s, name), offer_id))
    typer.echo(f"Removed offer {offer_id}.")


@chat_app.command("add")
def chat_add(
    name: Annotated[str, typer.Argument(help="The webinar's name.")],
    at_second: AtSecond,
    question: Annotated[str, typer.Option("--question", help="The question as it was asked.")],
    asked_on: Annotated[
        str, typer.Option("--asked-on", help="The earlier session's date, YYYY-MM-DD.")
    ],
) -> None:
    """Add a real question from an earlier session, with the date it was asked."""
    draft = content.ChatDraft(at_second, question, asked_on)

    def work(session: Session) -> str:
        row = content.add_chat_line(session, queries.id_named(session, name), draft)
        return f"Added question {row.id} at second {row.at_second} (asked on {row.asked_on})."

    typer.echo(in_session(work))


@chat_app.command("list")
def chat_list(name: Annotated[str, typer.Argument(help="The webinar's name.")]) -> None:
    """The chat script in the order it is replayed."""

    def work(session: Session) -> list[str]:
        rows = content.chat_of(session, queries.id_named(session, name))
        return [
            f"{row.id}  at {row.at_second}s  asked on {row.asked_on}  {row.question}"
            for row in rows
        ] or ["No questions yet."]

    for line in in_session(work, writer=False):
        typer.echo(line)


@chat_app.command("remove")
def chat_remove(
    name: Annotated[str, typer.Argument(help="The webinar's name.")],
    line_id: Annotated[int, row_id_argument("The question's id (chat list).")],
) -> None:
    """Remove a question from the chat script."""
    in_session(lambda s: content.delete_chat_line(s, queries.id_named(s, name), line_id))
    typer.echo(f"Removed question {line_id}.")


@app.command("video")
def video(
    name: Annotated[str, typer.Argument(help="The webinar's name.")],
    file: Annotated[
        Path | None, typer.Option("--file", help="An mp4 or webm file to upload (100 MB at most).")
    ] = None,
    url: Annotated[str, typer.Option("--url", help="Or the recording's http(s) address.")] = "",
) -> None:
    """Set the recording: upload a file into the data folder, or give its URL."""
    if (file is None) == (not url):
        raise WebinarInputError("video", "give either --file PATH or --url URL")
    data_dir = get_settings().data_dir

    def work(session: Session) -> str:
        webinar_id = queries.id_named(session, name)
        if file is not None:
            row = content.store_video_file(session, data_dir, webinar_id, file)
            return f"Stored the recording ({row.video_type}, {row.video_bytes} bytes)."
        row = content.set_video_url(session, data_dir, webinar_id, url)
        return f"The recording is at {row.video_url}."

    typer.echo(in_session(work))
