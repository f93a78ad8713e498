"""Running processes: the web server with its embedded queue consumer, and standalone workers."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading

import uvicorn

from evergreen import migrate
from evergreen.config import Settings, resolve_secret_key
from evergreen.signals import set_on_signals
from evergreen.webworkers import WebWorkers, serve_until_stopped, server_config

__all__ = ["run_server", "run_worker"]

log = logging.getLogger("evergreen")


def _announce(settings: Settings, host: str, port: int) -> None:
    """Tell the person at the console where to go, with the setup link on a new installation."""
    from evergreen.accounts import service as accounts
    from evergreen.accounts.views import setup_token
    from evergreen.db import Database

    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    url = f"http://{shown_host}:{port}"
    db = Database(settings.sqlalchemy_url)
    try:
        with db.session(writer=False) as session:
            has_owner = accounts.owner_exists(session)
    finally:
        db.dispose()
    print(f"Evergreen is running at {url}", flush=True)
    if not has_owner:
        token = setup_token(resolve_secret_key(settings))
        print(f"First run: create the owner account at {url}/setup?token={token}", flush=True)
        print("(or run `evergreen init` in another terminal)", flush=True)
    print("Press Ctrl+C to stop.", flush=True)


class ClickIngester:
    """`evergreen links ingest --follow` as a child process: its own interpreter and GIL, so
    moving clicks into the database never slows the redirects; restarted if it dies."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self.watcher = threading.Thread(target=self._watch, name="ingester-watch", daemon=True)

    def _spawn(self) -> None:
        command = [sys.executable, "-m", "evergreen.cli", "links", "ingest", "--follow",
                   "--parent-pid", str(os.getpid())]  # fmt: skip
        self.process = subprocess.Popen(command)  # noqa: S603 (our own interpreter and CLI)

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
        """Ask the child to finish (it ingests what is left) and wait for it."""
        self.stopping.set()
        self.watcher.join(5)
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()


def run_server(
    settings: Settings,
    *,
    host: str,
    port: int,
    embedded_worker: bool,
    ingest: bool = True,
    workers: int = 1,
) -> None:
    """Migrate, start the queue consumer and click ingester, serve until SIGTERM/SIGINT."""
    from evergreen.jobs import build_queue, consumer_for
    from evergreen.web import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    migrate.upgrade(settings.sqlalchemy_url)
    group = WebWorkers(host, port, workers) if workers > 1 else None  # bind before anything
    server = None
    if group is None:
        app = create_app(settings, background=False)
        server = uvicorn.Server(server_config(app, settings, host, port))
    ingester = ClickIngester() if ingest else None
    if ingester is not None:
        ingester.start()
    consumer = None
    if embedded_worker and settings.redis_url is None:
        consumer = consumer_for(build_queue(settings), settings.queue_workers)
        consumer.start()
    _announce(settings, host, port)
    try:
        if group is not None:
            _supervise(group)
        else:
            assert server is not None
            serve_until_stopped(server)
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)
        if ingester is not None:
            ingester.stop()
        print("Evergreen stopped.", flush=True)


def _supervise(group: WebWorkers) -> None:
    """Run the web workers until SIGTERM/SIGINT, then stop them gracefully."""
    stop = threading.Event()
    set_on_signals(stop)
    group.start()
    try:
        group.supervise(stop)
    finally:
        group.stop()


def run_worker(settings: Settings, *, workers: int) -> None:
    """A standalone consumer for Redis-backed queues; Huey handles SIGTERM/SIGINT itself. Any
    number may run: each minute's periodic tasks are enqueued by one of them only."""
    from evergreen.jobs import WorkerConsumer, build_queue

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    migrate.upgrade(settings.sqlalchemy_url)
    WorkerConsumer(build_queue(settings), workers=workers, worker_type="thread").run()
