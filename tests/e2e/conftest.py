"""End-to-end fixtures: the real `evergreen serve` process and headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli
from tests.conftest import IN_CI

ARTIFACTS = Path(os.environ.get("EVERGREEN_TEST_ARTIFACTS", "test-artifacts"))
_CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A running `evergreen serve` and everything it printed."""

    url: str
    process: subprocess.Popen[str]
    data_dir: Path
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def wait_for_line(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """Block until the server prints a line matching `pattern`."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                match = regex.search(line)
                if match:
                    return match
            time.sleep(0.05)
        raise AssertionError(f"server never printed {pattern!r}; output:\n" + "".join(self.lines))

    def cli(self, *args: str, password: str | None = None) -> str:
        """Run `evergreen ARGS` on this server's data folder (password on stdin); its stdout.

        In this process (tests/cli_helpers): the server is the child process under test here.
        """
        done = run_cli(
            list(args),
            {"EVERGREEN_DATA_DIR": str(self.data_dir), "EVERGREEN_DATABASE_URL": None},
            stdin="" if password is None else password + "\n",
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def stop(self) -> int:
        """SIGTERM, as a service manager would, and return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.close()
        return code

    def close(self) -> None:
        """Kill the process if still running and release its output pipe."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.reader is not None:
            self.reader.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_server(data_dir: Path, env: dict[str, str] | None = None) -> Server:
    """Start the server as the README does and wait until it answers /healthz."""
    port = _free_port()
    full_env = {**os.environ, "EVERGREEN_DATA_DIR": str(data_dir), **(env or {})}
    full_env.pop("EVERGREEN_DATABASE_URL", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "evergreen.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=full_env,
    )
    server = Server(url=f"http://127.0.0.1:{port}", process=process, data_dir=data_dir)

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            server.lines.append(line)

    server.reader = threading.Thread(target=pump, daemon=True)
    server.reader.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            server.close()
            raise AssertionError("server exited early:\n" + "".join(server.lines))
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.close()
    raise AssertionError("server did not become healthy:\n" + "".join(server.lines))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A fresh installation: empty data folder, no owner yet."""
    running = start_server(tmp_path / "data")
    yield running
    running.close()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium; its absence skips browser tests locally and fails them under CI."""
    found = os.environ.get("EVERGREEN_CHROMIUM") or shutil.which("chromium")
    if found:
        return found
    if IN_CI:
        pytest.fail(
            "Chromium is not installed: CI must run the browser tests (apt install chromium)"
        )
    pytest.skip("Chromium is not installed (apt install chromium)")


@pytest.fixture
def page(chromium_path: str) -> Iterator[object]:
    """A fresh browser page in headless Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=_CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
