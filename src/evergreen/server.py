"""Running processes: the web server with its embedded queue consumer, and standalone workers."""

from __future__ import annotations

import logging
import signal
from types import FrameType

import uvicorn

from evergreen import migrate
from evergreen.config import Settings, resolve_secret_key

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
        with db.session() as session:
            has_owner = accounts.owner_exists(session)
    finally:
        db.dispose()
    print(f"Evergreen is running at {url}", flush=True)
    if not has_owner:
        token = setup_token(resolve_secret_key(settings))
        print(f"First run: create the owner account at {url}/setup?token={token}", flush=True)
        print("(or run `evergreen init` in another terminal)", flush=True)
    print("Press Ctrl+C to stop.", flush=True)


def run_server(settings: Settings, *, host: str, port: int, embedded_worker: bool) -> None:
    """Migrate, start the queue consumer (embedded default), serve until SIGTERM/SIGINT."""
    from evergreen.jobs import consumer_for, huey, load_tasks
    from evergreen.web import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    migrate.upgrade(settings.sqlalchemy_url)
    app = create_app(settings)
    consumer = None
    if embedded_worker and settings.redis_url is None:
        load_tasks()
        consumer = consumer_for(huey, settings.queue_workers)
        consumer.start()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
        log_level="warning",
        server_header=False,
    )
    server = uvicorn.Server(config)
    _announce(settings, host, port)
    # Uvicorn re-raises the stop signal after its graceful shutdown; with these handlers in
    # place that re-raise is a no-op, so the queue consumer is stopped too and we exit 0.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _ignore_after_shutdown)
    try:
        server.run()
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)
        print("Evergreen stopped.", flush=True)


def _ignore_after_shutdown(signum: int, frame: FrameType | None) -> None:
    """Swallow the stop signal uvicorn re-raises once it has already shut down."""


def run_worker(settings: Settings, *, workers: int) -> None:
    """A standalone consumer for Redis-backed queues; Huey handles SIGTERM/SIGINT itself."""
    from huey.consumer import Consumer

    from evergreen.jobs import huey, load_tasks

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    migrate.upgrade(settings.sqlalchemy_url)
    load_tasks()
    Consumer(huey, workers=workers, worker_type="thread").run()
