"""`evergreen serve --workers N`: N web processes on one listening socket, supervised.

Each worker is a fresh interpreter (`python -m evergreen.webworkers FD PARENT`) serving the same
app as a single-process `serve`, with its own click spool segment. The parent keeps the queue
consumer and the click ingester, restarts a worker that dies, and stops them all gracefully on
SIGTERM/SIGINT. A worker whose parent is gone (even by `kill -9`) stops by itself, answering what
it has started, so nothing keeps the port or loses a click.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import uvicorn

from evergreen.config import Settings, get_settings
from evergreen.web.protocol import FrontDoorProtocol

__all__ = ["WebWorkers", "serve_until_stopped", "server_config"]

log = logging.getLogger("evergreen")


def server_config(app: Any, settings: Settings, host: str, port: int) -> uvicorn.Config:
    """The uvicorn settings every web process uses."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        # The app applies X-Forwarded-* itself (create_app): pages through uvicorn's middleware,
        # the redirect path reading the one header it needs, so a redirect skips that layer.
        proxy_headers=False,
        log_level="warning",
        access_log=False,  # a log line per request would cost the redirect path dearly
        server_header=False,
        http=FrontDoorProtocol,  # a cached link's redirect is answered without an ASGI task
        # A stop (SIGTERM) closes the listener at once, then waits this long for requests in
        # flight before the clicks are drained (evergreen.server).
        timeout_graceful_shutdown=settings.drain_timeout_s,
    )


class WebWorkers:
    """The parent's side: one listening socket, the workers on it, kept running, stopped."""

    def __init__(self, sock: socket.socket, count: int) -> None:
        """`sock`: listening already (listen.bind_listener), so a busy port is refused up front."""
        self.count = count
        self.sock = sock
        self.sock.set_inheritable(True)
        self.processes: list[subprocess.Popen[bytes]] = []

    def _spawn(self) -> subprocess.Popen[bytes]:
        fd = self.sock.fileno()
        command = [sys.executable, "-m", "evergreen.webworkers", str(fd), str(os.getpid())]
        return subprocess.Popen(command, pass_fds=(fd,))  # noqa: S603 (our own interpreter)

    def start(self) -> None:
        """Start every worker."""
        self.processes = [self._spawn() for _ in range(self.count)]

    def supervise(self, stop: threading.Event) -> None:
        """Restart workers that exit, until `stop` is set."""
        while not stop.wait(0.5):
            for index, process in enumerate(self.processes):
                if process.poll() is not None:
                    log.warning("web worker exited with %s; restarting", process.returncode)
                    self.processes[index] = self._spawn()

    def stop(self, timeout: float = 30) -> None:
        """Ask every worker to finish its requests and exit; kill the ones that do not."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.sock.close()


def _watch_parent(server: uvicorn.Server, parent: int) -> None:
    """Stop gracefully once the parent is gone (then this process was re-parented)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    server.should_exit = True


def _ignore(signum: int, frame: object) -> None:
    """Swallow the stop signal uvicorn re-raises once it has already shut down."""


def serve_until_stopped(server: uvicorn.Server, sockets: list[socket.socket] | None = None) -> None:
    """Run uvicorn until SIGTERM/SIGINT and return normally (exit code 0) afterwards."""
    gc.freeze()  # everything loaded so far lives as long as the process: keep it out of GC passes
    # Uvicorn re-raises the stop signal after its graceful shutdown; with these handlers in
    # place that re-raise is a no-op, so the caller's own clean-up runs too.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _ignore)
    server.run(sockets=sockets)


def run_worker_process(fd: int, parent: int) -> None:
    """One worker: the app on the inherited socket, until SIGTERM/SIGINT or the parent dies."""
    from evergreen.web import create_app, prepare_routes

    settings = get_settings()
    app = create_app(settings, background=False)
    prepare_routes(app)
    sock = socket.socket(fileno=fd)
    host, port = sock.getsockname()[:2]
    server = uvicorn.Server(server_config(app, settings, host, port))
    threading.Thread(target=_watch_parent, args=(server, parent), daemon=True).start()
    serve_until_stopped(server, [sock])


if __name__ == "__main__":
    run_worker_process(int(sys.argv[1]), int(sys.argv[2]))
