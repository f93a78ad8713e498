"""The `evergreen` command: setup, server, worker, background tasks, database, people and
tokens."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from evergreen import __version__
from evergreen.areas import Area, all_areas
from evergreen.config import SettingsError, get_settings
from evergreen.console import check_output_file, err, failure
from evergreen.errors import InputError, NotFound

__all__ = ["app", "area_commands", "main"]


class _AreaCommands(TyperGroup):
    """The root command: an area's commands are imported when one of them is asked for, so
    a command starts in the time its own area takes to load, not the time of all of them."""

    def list_commands(self, ctx: Any) -> list[str]:
        own = super().list_commands(ctx)
        return own + [name for name in _AREA_OF if name not in own]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        area = _AREA_OF.get(cmd_name)
        if area is not None and cmd_name not in self.commands:
            for name, command in area_commands(area).items():
                self.add_command(command, name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: Any) -> Any:
        """A value a command's parameter refuses (an ID past what a database stores, a word
        that is not a choice) is one line naming it and exit 2, as an area's refusal is."""
        try:
            return super().invoke(ctx)
        except typer.BadParameter as exc:
            where = exc.ctx.command_path if exc.ctx is not None else ctx.command_path
            raise failure(f"{exc.format_message()} (see {where} --help)") from None


def area_commands(area: Area) -> dict[str, Any]:
    """An area's commands as Click commands (a Typer app becomes a group), by name. (Typed
    Any: the Click classes are Typer's own copy in recent Typer, Click's in older ones.)"""
    holder = typer.Typer()
    for name, command in area.commands() if area.commands else ():
        if isinstance(command, typer.Typer):
            holder.add_typer(command, name=name)
        else:
            holder.command(name)(command)
    return dict(typer.main.get_group(holder).commands)


_AREA_OF = {name: area for area in all_areas() for name in area.command_names}
app = typer.Typer(
    cls=_AreaCommands,
    help="Evergreen: passive and residual income, tracked and valued.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database migrations and backups.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.command()
def version() -> None:
    """Print the installed version."""
    typer.echo(__version__)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to REVISION (the server also does this when it starts)."""
    from alembic.util.exc import CommandError

    from evergreen import migrate

    settings = get_settings()
    if not revision.strip():
        raise failure("revision: name one (head, or a revision such as 0062)")
    try:
        migrate.upgrade(settings.sqlalchemy_url, revision)
    except CommandError as exc:
        raise failure(f"revision: {exc}") from None
    now = migrate.current_revision(settings.sqlalchemy_url)
    typer.echo(f"Database at revision {now}: {_redact(settings.sqlalchemy_url)}")


@db_app.command("current")
def db_current() -> None:
    """Print the revision the database is at."""
    from evergreen import migrate

    typer.echo(migrate.current_revision(get_settings().sqlalchemy_url) or "empty")


@db_app.command("backup")
def db_backup(
    path: Annotated[Path, typer.Argument(help="The file to write, e.g. evergreen-2026-12-07.db.")],
    replace: Annotated[bool, typer.Option(help="Overwrite the file if it exists.")] = False,
) -> None:
    """Copy the SQLite database into a file, consistently, while the server runs."""
    from evergreen.backup import BackupError, backup_sqlite
    from evergreen.db import Database

    check_output_file(path, "FILE")
    db = Database(get_settings().sqlalchemy_url)
    try:
        made = backup_sqlite(db, path.expanduser(), replace=replace)
    except BackupError as exc:
        raise failure(str(exc)) from None
    finally:
        db.dispose()
    typer.echo(
        f"Backed up to {made.path}: {made.size / 1e6:,.1f} MB, revision {made.revision or 'none'}, "
        f"checked. To restore: stop the server, put the file in place of "
        f"{db.engine.url.database}, remove any -wal and -shm files beside it, start the server."
    )


def _redact(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(envvar="EVERGREEN_HOST", help="Address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(envvar="EVERGREEN_PORT", min=1, max=65535, help="Port to listen on.")
    ] = 8000,
    worker: Annotated[
        bool, typer.Option(help="Run the queue consumer in this process (default without Redis).")
    ] = True,
    ingest: Annotated[
        bool, typer.Option(help="Run the click ingester beside the server (a child process).")
    ] = True,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="Web processes sharing the port (default EVERGREEN_WEB_WORKERS, 1)."
        ),
    ] = None,
) -> None:
    """Migrate, then serve the web app with the queue consumer inside (Ctrl+C stops cleanly)."""
    from evergreen.listen import CannotListen
    from evergreen.server import run_server

    settings = get_settings()
    try:
        run_server(
            settings, host=host, port=port, embedded_worker=worker, ingest=ingest,
            workers=workers or settings.web_workers,
        )  # fmt: skip
    except CannotListen as exc:
        raise failure(str(exc)) from None


@app.command("worker")
def worker_command(
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker threads.")] = 4,
) -> None:
    """Run a queue consumer (for EVERGREEN_REDIS_URL setups; stops cleanly on SIGTERM/SIGINT)."""
    from evergreen.server import run_worker

    settings = get_settings()
    if settings.redis_url is None:
        raise failure(
            "`evergreen worker` needs EVERGREEN_REDIS_URL. With the embedded SQLite queue, "
            "`evergreen serve` runs the worker inside the server process."
        )
    run_worker(settings, workers=workers)


@app.command("tasks")
def tasks_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Each periodic task: schedule, last run (when, where, outcome), runs in the last hour."""
    import json

    from evergreen.db import Database, utcnow
    from evergreen.jobs import background_tasks

    settings = get_settings()
    db = Database(settings.sqlalchemy_url)
    try:
        tasks = background_tasks(settings, db, utcnow())
    finally:
        db.dispose()
    if as_json:
        typer.echo(json.dumps([task.as_json() for task in tasks], indent=2))
        return
    for task in tasks:
        last = task.last
        if last is None:
            ran = "not run yet"
        else:
            outcome = "ok" if last.outcome == "ok" else f"error: {last.reason}"
            ran = (
                f"{last.started_at:%Y-%m-%d %H:%M:%S} UTC on {last.process}, {outcome}, "
                f"{last.duration_ms / 1000:.2f} s"
            )
        typer.echo(f"{task.name}  [{task.schedule}]  {task.last_hour} in the last hour  {ran}")


def main() -> None:
    """Entry point: turn setting problems and user mistakes into messages, not tracebacks."""
    from sqlalchemy.exc import OperationalError

    try:
        app(standalone_mode=True)
    except InputError as exc:
        # An area refused the input: one line saying what to fix, never a traceback.
        shown = exc.message if isinstance(exc, NotFound) or not exc.field else str(exc)
        failure(shown)
        sys.exit(2)
    except SettingsError as exc:
        failure(str(exc))
        sys.exit(2)
    except OSError as exc:
        # A file or folder named on the command line that cannot be read or written (too long a
        # name, a folder, no permission), or a server that cannot be reached: one line.
        where = f" {exc.filename}" if exc.filename else ""
        failure(f"cannot use{where}: {exc.strerror or exc}" if where else str(exc))
        sys.exit(2)
    except OperationalError as exc:
        reason = " ".join(str(exc.orig or exc).split())
        url = _redact(get_settings().sqlalchemy_url)
        err.print(f"[bold red]Error:[/] cannot use the database at {url}: {reason}", soft_wrap=True)
        err.print("Check EVERGREEN_DATABASE_URL and that the database server is running.")
        sys.exit(2)


if __name__ == "__main__":
    main()
