"""`evergreen links …`: create, list, stats, delete, import, export, reclassify, QR codes."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from evergreen.config import Settings, get_settings
from evergreen.console import (
    check_output_file,
    confirmed,
    err,
    failure,
    migrated_database,
    utf8_text,
)
from evergreen.db import Database
from evergreen.links import queries, service
from evergreen.links.clicks.follower import follow as follow_clicks
from evergreen.links.clicks.ingest import ClickPolicy, ingest_pending, spool_folder
from evergreen.links.clicks.spool import SpoolReader
from evergreen.links.clicks.stats import link_stats, mark_agent_human
from evergreen.links.drafts import LinkDraft
from evergreen.links.formats import csvio, qr
from evergreen.links.formats.schemas import link_out
from evergreen.signals import set_on_signals
from evergreen.siteurl import cli_site_url

__all__ = ["app"]

app = typer.Typer(help="Tracking links and their clicks.", no_args_is_help=True)


def _ingest_spooled(db: Database) -> int:
    """Ingest clicks still in this machine's spool so figures include every answered click."""
    settings = get_settings()
    return ingest_pending(db, SpoolReader(spool_folder(settings)), ClickPolicy.of(settings))


def _ingest_folder(folder: Path) -> None:
    """Ingest a spool folder a server left behind; segment offsets and click IDs make a second
    run (or a crash half-way) store nothing twice."""
    if not folder.is_dir():
        raise failure(
            f"--spool {folder} is not a folder (give the spool/ folder of its data folder)"
        )
    if (folder / "spool").is_dir() and not any(folder.glob("*.clicks")):
        raise failure(
            f"--spool {folder} is a data folder: give its spool folder, {folder / 'spool'}"
        )
    db = migrated_database()
    try:
        reader = SpoolReader(folder)
        # sweep=False: this machine's own segments are not in that folder; keep their offsets.
        total = ingest_pending(db, reader, ClickPolicy.of(get_settings()), sweep=False)
    except OSError as exc:
        raise failure(f"cannot ingest {folder}: {exc} (the folder must be writable)") from None
    finally:
        db.dispose()
    left = reader.pending_bytes()
    typer.echo(f"Ingested {total} click{'s' if total != 1 else ''} from {folder}.")
    if left:
        err.print(f"{left} bytes stay in {folder}: a process still writes there.", soft_wrap=True)


def _site(settings: Settings) -> str:
    """The base of the short URLs printed, said on stderr so that stdout stays the URL alone."""
    site = cli_site_url(settings)
    hint = "" if settings.base_url else "; set EVERGREEN_BASE_URL to use your public address"
    err.print(f"Short URLs use {site.url} ({site.source}{hint}).", highlight=False, soft_wrap=True)
    return site.url


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, default=str, indent=2))


@app.command("create")
def create(
    destination: Annotated[str, typer.Argument(help="Where the link sends people.")],
    slug: Annotated[str | None, typer.Option(help="Custom slug (generated if omitted).")] = None,
    title: Annotated[str, typer.Option()] = "",
    kind: Annotated[str, typer.Option(help="own or affiliate.")] = "own",
    channel: Annotated[str, typer.Option(help="blog, email, youtube…")] = "",
    campaign: Annotated[str, typer.Option()] = "",
    tag: Annotated[list[str] | None, typer.Option(help="Repeat for several tags.")] = None,
    utm_source: Annotated[str, typer.Option()] = "",
    utm_medium: Annotated[str, typer.Option()] = "",
    utm_campaign: Annotated[str, typer.Option()] = "",
    redirect_status: Annotated[int, typer.Option(help="302 (default), 307 or 301.")] = 302,
    append_click_id: Annotated[bool, typer.Option(help="Add the click ID to the URL.")] = False,
    fallback_url: Annotated[
        str | None, typer.Option(help="Where the link sends people once expired or disabled.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a link and print its short URL."""
    settings = get_settings()
    draft = LinkDraft(
        destination=destination,
        slug=slug,
        title=title,
        kind=kind,
        channel=channel,
        campaign=campaign,
        tags=list(tag or []),
        utm={"utm_source": utm_source, "utm_medium": utm_medium, "utm_campaign": utm_campaign},
        redirect_status=redirect_status,
        append_click_id=append_click_id,
        fallback_url=fallback_url,
    )
    db = migrated_database()
    try:
        with db.session() as session:
            saved = service.create_link(session, draft)
            out = link_out(saved.link, settings, _site(settings), saved.warnings)
    finally:
        db.dispose()
    if as_json:
        _print_json(out.model_dump(mode="json"))
        return
    typer.echo(out.short_url)
    for warning in out.warnings:
        err.print(f"[yellow]Warning:[/] {warning}", soft_wrap=True)


@app.command("list")
def list_links(
    search: Annotated[str, typer.Option(help="Text in slug, title or destination.")] = "",
    tag: Annotated[str, typer.Option()] = "",
    channel: Annotated[str, typer.Option()] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List links, newest first."""
    settings = get_settings()
    db = migrated_database()
    try:
        with db.session() as session:
            links, _total = service.list_links(
                session, search=search, tag=tag, channel=channel, limit=100_000
            )
            site = _site(settings) if as_json else ""
            rows = [link_out(x, settings, site) for x in links]
    finally:
        db.dispose()
    if as_json:
        _print_json([row.model_dump(mode="json") for row in rows])
        return
    table = Table("slug", "destination", "channel", "tags", "health")
    for row in rows:
        table.add_row(row.slug, row.destination, row.channel, ", ".join(row.tags), row.health)
    Console().print(table)


@app.command("stats")
def stats(
    slug: Annotated[
        str | None, typer.Argument(help="A link's slug; all links when omitted.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Clicks of one link or of all links (pending clicks are ingested first)."""
    db = migrated_database()
    try:
        _ingest_spooled(db)
        with db.session() as session:
            link_id = None if slug is None else service.get_link(session, slug).id
            result = link_stats(session, link_id).to_dict()
    finally:
        db.dispose()
    if as_json:
        typer.echo(json.dumps({"slug": slug, **result}))
        return
    table = Table("measure", "value")
    for name in ("total_clicks", "clicks", "unique_clicks", "non_human_clicks"):
        table.add_row(name.replace("_", " "), str(result[name]))
    for klass, count in sorted(result["non_human_by_class"].items()):
        table.add_row(f"  of which {klass}", str(count))
    Console().print(table)


@app.command("delete")
def delete(
    slug: Annotated[str, typer.Argument(help="The link's slug.")],
    yes: Annotated[bool, typer.Option("--yes", help="Delete without asking.")] = False,
) -> None:
    """Delete a link with its clicks and statistics (its short URL then answers as unknown)."""
    db = migrated_database()
    try:
        with db.session() as session:
            link = service.get_link(session, slug)
            shown = f"{link.slug} → {link.destination}"
            clicks = queries.counts_by_link(session, [link.id]).get(link.id, queries.Counts()).total
        asked = f"Delete {shown} and its {clicks:,} clicks? This cannot be undone."
        confirmed(
            "", asked, "deleting a link and its clicks cannot be undone", yes=yes,
            declined="Nothing deleted.",
        )  # fmt: skip
        with db.session() as session:
            service.delete_link(session, slug)
    finally:
        db.dispose()
    typer.echo(f"Deleted {shown} and its {clicks:,} clicks.")


@app.command("import")
def import_links(
    file: Annotated[
        Path, typer.Argument(help="CSV: Evergreen, Pretty Links or ThirstyAffiliates.")
    ],
) -> None:
    """Create links from a CSV file; bad rows are listed by line and the others are created."""
    parsed = csvio.read_links_csv(utf8_text(file))
    if not parsed.rows and not parsed.errors:
        raise failure(f"nothing imported: {file} has no rows under its header")
    db = migrated_database()
    try:
        with db.session() as session:
            result = service.bulk_create(session, parsed.rows)
            created = len(result.created)
    finally:
        db.dispose()
    failures = csvio.error_lines([*parsed.errors, *result.errors])
    if failures and not parsed.rows:  # the file itself is wrong (empty, no destination column)
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise failure(f"nothing imported: {failures[0]}{more}")
    typer.echo(f"Created {created} link{'s' if created != 1 else ''}.")
    for note in parsed.notes:
        err.print(f"Note: {note}", soft_wrap=True, highlight=False)
    for problem in failures:
        err.print(f"[yellow]Skipped[/] {problem}", soft_wrap=True, highlight=False)
    if failures:
        raise typer.Exit(1)


@app.command("export")
def export(
    clicks: Annotated[str | None, typer.Option(help="Export this link's clicks instead.")] = None,
) -> None:
    """Write links (or one link's clicks) as CSV to standard output."""
    db = migrated_database()
    try:
        with db.session() as session:
            if clicks is None:
                links, _total = service.list_links(session, limit=1_000_000)
                csvio.export_links(links, sys.stdout)
                return
            _ingest_spooled(db)
            link = service.get_link(session, clicks)
            csvio.export_clicks(session, link.id, sys.stdout)
    finally:
        db.dispose()


@app.command("mark-human")
def mark_human(user_agent: Annotated[str, typer.Argument(help="The exact user agent.")]) -> None:
    """Count a user agent as human, now and for its past clicks."""
    db = migrated_database()
    try:
        with db.session() as session:
            changed = mark_agent_human(session, user_agent)
    finally:
        db.dispose()
    typer.echo(f"{changed} past click{'s' if changed != 1 else ''} now count as human.")


@app.command("qr")
def qr_code(
    slug: Annotated[str, typer.Argument()],
    out: Annotated[Path, typer.Option(help="A .svg or .png file to write.")],
) -> None:
    """Write a QR code of a link's short URL."""
    if out.suffix.lower() not in (".svg", ".png"):
        raise failure("--out must end in .svg or .png")
    check_output_file(out, "--out")
    settings = get_settings()
    db = migrated_database()
    try:
        with db.session() as session:
            link = service.get_link(session, slug)
            url = link_out(link, settings, _site(settings)).short_url
    finally:
        db.dispose()
    data = qr.qr_png(url) if out.suffix.lower() == ".png" else qr.qr_svg(url)
    out.write_bytes(data)
    typer.echo(f"Wrote {out} for {url}")


def _die_with_parent() -> None:
    """Ask Linux to send SIGTERM when the parent dies (elsewhere the parent check suffices)."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return


@app.command("ingest")
def ingest(
    follow: Annotated[
        bool, typer.Option(help="Keep ingesting until SIGTERM/SIGINT (what `serve` runs).")
    ] = False,
    interval: Annotated[
        float | None,
        typer.Option(min=0.05, max=60, help="With --follow: seconds between passes (0.5)."),
    ] = None,
    parent_pid: Annotated[
        int | None,
        typer.Option(hidden=True, help="The `serve` process this ingester lives and dies with."),
    ] = None,
    spool: Annotated[
        Path | None,
        typer.Option(
            help="Another server's spool folder (its data folder's spool/, e.g. a lost "
            "machine's disk mounted here, read-write): ingested once, finished segments removed."
        ),
    ] = None,
) -> None:
    """Move spooled clicks into the database (once, or continuously with --follow)."""
    import threading

    if interval is not None and not follow:
        # One pass has no pause to set: said, never a silently ignored option.
        raise failure(
            "--interval is the pause between passes of --follow; a single pass has none: "
            "drop --interval, or add --follow"
        )
    if spool is not None:
        if follow:
            raise failure("--spool ingests another server's spool once; it cannot --follow")
        _ingest_folder(spool)
        return

    # First, before anything slow: a child of `serve` must never outlive it, even when `serve`
    # was killed while this process was still starting.
    parent = os.getppid() if parent_pid is None else parent_pid
    if follow:
        _die_with_parent()
        if os.getppid() != parent:
            return
    stop = threading.Event()
    if follow:
        set_on_signals(stop)  # a stop asked for while migrating is a clean stop, not a kill
    db = migrated_database()
    # Normal priority: `links.clicks.follower` paces the passes so redirects come first (and
    # says why not SCHED_IDLE).
    try:
        if follow:
            pause = 0.5 if interval is None else interval
            follow_clicks(db, get_settings(), stop, interval=pause,
                          alive=lambda: os.getppid() == parent)  # fmt: skip
            return
        try:
            total = _ingest_spooled(db)
        except Exception as exc:  # the database may be away: clicks wait in the spool
            err.print(f"ingestion failed: {exc}", soft_wrap=True, highlight=False)
            raise typer.Exit(1) from None
    finally:
        db.dispose()
    typer.echo(f"Ingested {total} click{'s' if total != 1 else ''}.")
