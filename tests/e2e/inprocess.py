"""What `evergreen serve` runs, served from the test's own process: the same app on a real port,
the same queue consumer beside it, clicks ingested by the app's own runtime. A child process
costs ~4-5 s of CPU before it answers (a new interpreter's imports, ~700 routes analysed
again), the largest part of most browser tests; in this process the imports are done and the
route analysis is shared (tests/conftest.py). Tests whose point is the process (its output,
signals, crash, drain, several servers) keep `start_server`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from evergreen.config import Settings, load_settings
from evergreen.db import Database
from evergreen.jobs import server_consumer
from evergreen.listen import bind_listener
from evergreen.siteurl import record_served_url, served_url
from evergreen.web import create_app
from evergreen.webworkers import server_config
from tests.cli_helpers import cli_on

__all__ = ["InProcessServer", "serve_here"]


@contextmanager
def _environment(changes: Mapping[str, str | None]) -> Iterator[None]:
    """os.environ with these changes (None removes a name) while settings are read."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in changes.items():
            if value is None:
                patch.delenv(name, raising=False)
            else:
                patch.setenv(name, value)
        yield


@dataclass
class InProcessServer:
    """A running in-process server: its address, data folder and what stops it."""

    url: str
    data_dir: Path
    settings: Settings
    _uvicorn: uvicorn.Server
    _thread: threading.Thread
    _stoppers: list[Any] = field(default_factory=list)
    _failures: list[BaseException] = field(default_factory=list)
    _stopped: int | None = None

    def cli(self, *args: str, password: str | None = None) -> str:
        """Run `evergreen ARGS` on this server's data folder (password on stdin); its stdout."""
        return cli_on(self.data_dir, args, password)

    def stop(self) -> int:
        """Stop as SIGTERM stops `serve` (requests in flight, then the consumer): 0 when every
        part stopped cleanly, 1 when one failed or the server was still running at the bound."""
        if self._stopped is None:
            self._uvicorn.should_exit = True
            self._thread.join(self.settings.drain_timeout_s + 15)
            clean = not self._thread.is_alive()
            for stop in reversed(self._stoppers):
                try:
                    stop()
                except Exception as exc:
                    self._failures.append(exc)
            self._stopped = 0 if clean and not self._failures else 1
        return self._stopped

    def close(self) -> None:
        """Stop it (the tests' finally)."""
        self.stop()


def serve_here(data_dir: Path, env: Mapping[str, str] | None = None) -> InProcessServer:
    """Serve `data_dir` (given an empty migrated database by tests/e2e/conftest.py's copy when
    new) with the settings `evergreen serve` would read from os.environ plus `env`; returns
    once it accepts connections."""
    from tests.e2e.conftest import _migrated_database

    if not (data_dir / "evergreen.db").exists():
        _migrated_database(data_dir)
    with _environment({"EVERGREEN_DATA_DIR": str(data_dir), "EVERGREEN_DATABASE_URL": None,
                       **(env or {})}):  # fmt: skip
        settings = load_settings()
    sock = bind_listener("127.0.0.1", 0)
    port = sock.getsockname()[1]
    url = served_url("http", "127.0.0.1", port)
    record_served_url(settings, url)
    stoppers: list[Any] = [sock.close]
    failures: list[BaseException] = []
    try:
        claims = Database(settings.sqlalchemy_url)
        stoppers.append(claims.dispose)
        if settings.redis_url is None:
            consumer = server_consumer(settings, claims)
            consumer.start()
            stoppers.append(lambda: consumer.stop(graceful=True))
        app = create_app(settings)  # background work (click ingestion) in this process
        server = uvicorn.Server(server_config(app, settings, "127.0.0.1", port))

        def run() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as exc:
                failures.append(exc)
                raise

        thread = threading.Thread(target=run, name=f"evergreen-serve-{port}", daemon=True)
        running = InProcessServer(url.rstrip("/"), data_dir, settings, server, thread,
                                  stoppers, failures)  # fmt: skip
        thread.start()
    except BaseException:
        for stop in reversed(stoppers):
            stop()
        raise
    _wait_started(running)
    return running


def _wait_started(running: InProcessServer) -> None:
    """Until uvicorn accepts connections (its lifespan started), bounded."""
    deadline = time.monotonic() + 60
    while not running._uvicorn.started:
        if not running._thread.is_alive() or time.monotonic() > deadline:
            running.stop()
            raise AssertionError(f"the in-process server did not start: {running._failures!r}")
        time.sleep(0.02)
