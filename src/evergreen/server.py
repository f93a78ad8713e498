"""Running processes: the web server with its embedded queue consumer, and standalone workers."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading

import uvicorn

from evergreen import migrate
from evergreen.config import Settings, resolve_secret_key
from evergreen.listen import bind_listener
from evergreen.signals import set_on_signals
from evergreen.siteurl import record_served_url, served_url
from evergreen.webworkers import WebWorkers, serve_until_stopped, server_config

__all__ = ["run_server", "run_worker"]

log = logging.getLogger("evergreen")


def _announcement(settings: Settings, url: str) -> list[str]:
    """What the person at the console needs, the address and setup link last, where they look."""
    from evergreen.accounts import service as accounts
    from evergreen.accounts.views import setup_token
    from evergreen.db import Database

    db = Database(settings.sqlalchemy_url)
    try:
        with db.session(writer=False) as session:
            has_owner = accounts.owner_exists(session)
    finally:
        db.dispose()
    shared = "Links you share (short URLs, QR codes, invitations, postback URLs)"
    if settings.base_url:
        lines = [f"{shared} use {settings.base_url} (EVERGREEN_BASE_URL)."]
    else:
        lines = [
            f"{shared} use the address a visitor reached ({url} here); "
            "set EVERGREEN_BASE_URL to give them one public address."
        ]
    lines.append(f"Evergreen is running at {url}")
    if not has_owner:
        token = setup_token(resolve_secret_key(settings))
        lines.append(f"First run: create the owner account at {url}/setup?token={token}")
        lines.append("(or run `evergreen init` in another terminal)")
    lines.append("Press Ctrl+C to stop.")
    return lines


def _say(lines: list[str]) -> None:
    for line in lines:
        print(line, flush=True)


class _AnnouncingServer(uvicorn.Server):
    """uvicorn, saying where it runs only once it accepts connections."""

    def __init__(self, config: uvicorn.Config, lines: list[str]) -> None:
        super().__init__(config)
        self.lines = lines

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start as uvicorn does, then print the announcement."""
        await super().startup(sockets=sockets)
        if self.started:
            _say(self.lines)


class ClickIngester:
    """`evergreen links ingest --follow` as a child process: its own interpreter and GIL, so
    moving clicks into the database never slows the redirects; restarted if it dies."""

    def __init__(self, drain_timeout: float = 30) -> None:
        self.drain_timeout = drain_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self.watcher = threading.Thread(target=self._watch, name="ingester-watch", daemon=True)

    def _spawn(self) -> None:
        command = [sys.executable, "-m", "evergreen.cli", "links", "ingest", "--follow",
                   "--parent-pid", str(os.getpid())]  # fmt: skip
        # Its own session: a Ctrl+C or a signal to the terminal's process group reaches `serve`
        # alone, which stops the web side first and then asks this child for its last pass.
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and CLI)
            command, start_new_session=True
        )

    def _watch(self) -> None:
        while not self.stopping.wait(2):
            if self.process is not None and self.process.poll() is not None:
                log.warning("click ingester exited with %s; restarting", self.process.returncode)
                self._spawn()

    def start(self) -> None:
        """Start the child and its watchdog."""
        self._spawn()
        self.watcher.start()

    def stop(self) -> None:
        """Ask the child to drain the spool (bounded by EVERGREEN_DRAIN_TIMEOUT_S) and wait."""
        self.stopping.set()
        self.watcher.join(5)
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                # The child stops starting batches at the bound; a batch under way may finish.
                self.process.wait(self.drain_timeout + 15)
            except subprocess.TimeoutExpired:
                log.warning("click ingester still busy after the drain bound; stopping it "
                            "(its clicks stay in the spool)")  # fmt: skip
                self.process.kill()
                self.process.wait()


def run_server(
    settings: Settings,
    *,
    host: str,
    port: int,
    embedded_worker: bool,
    ingest: bool = True,
    workers: int = 1,
) -> None:
    """Bind, migrate, start the queue consumer and click ingester, serve until SIGTERM/SIGINT.

    The port is bound first: when it cannot be (CannotListen), nothing has been started.
    """
    from evergreen.db import Database
    from evergreen.jobs import server_consumer
    from evergreen.web import create_app, prepare_routes

    sock = bind_listener(host, port)
    try:
        url = served_url("http", host, sock.getsockname()[1])
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
        # Each periodic task logs a line or two; they would bury the address printed at start.
        logging.getLogger("huey").setLevel(logging.WARNING)
        migrate.upgrade(settings.sqlalchemy_url)
        _remember(settings, url)
        lines = _announcement(settings, url)
        group = WebWorkers(sock, workers) if workers > 1 else None
        server = None
        if group is None:
            app = create_app(settings, background=False)
            prepare_routes(app)
            server = _AnnouncingServer(server_config(app, settings, host, port), lines)
        ingester = ClickIngester(settings.drain_timeout_s) if ingest else None
        if ingester is not None:
            ingester.start()
        consumer = None
        claims = Database(settings.sqlalchemy_url)  # each minute's periodic tasks, claimed once
        if embedded_worker and settings.redis_url is None:
            consumer = server_consumer(settings, claims)
            consumer.start()
        try:
            if group is not None:
                _supervise(group, lines, settings.drain_timeout_s)
            else:
                assert server is not None
                serve_until_stopped(server, [sock])
        finally:
            if ingester is not None:
                ingester.stop()  # first: the clicks' drain is bounded, queued tasks may not be
            if consumer is not None:
                consumer.stop(graceful=True)
            claims.dispose()
            print("Evergreen stopped.", flush=True)
    finally:
        sock.close()


def _remember(settings: Settings, url: str) -> None:
    """Record the address for commands that print URLs (best effort: a read-only folder is fine)."""
    try:
        record_served_url(settings, url)
    except OSError as exc:
        log.warning("could not record the served address in %s: %s", settings.data_dir, exc)


def _supervise(group: WebWorkers, lines: list[str], drain_timeout: float) -> None:
    """Run the web workers until SIGTERM/SIGINT, then stop them gracefully."""
    stop = threading.Event()
    set_on_signals(stop)
    group.start()
    _say(lines)
    try:
        group.supervise(stop)
    finally:
        group.stop(drain_timeout + 5)


def run_worker(settings: Settings, *, workers: int) -> None:
    """A standalone consumer for Redis-backed queues; Huey handles SIGTERM/SIGINT itself. Any
    number may run: each minute's periodic tasks are enqueued by one of them only."""
    from evergreen.db import Database
    from evergreen.jobs import worker_consumer

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    migrate.upgrade(settings.sqlalchemy_url)
    claims = Database(settings.sqlalchemy_url)
    try:
        worker_consumer(settings, workers, claims).run()
    finally:
        claims.dispose()
