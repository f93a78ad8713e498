"""End-to-end fixtures: the server (in this process, or the real `evergreen serve` process) and
headless Chromium."""

from __future__ import annotations

import asyncio
import atexit
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from evergreen import migrate
from tests.cli_helpers import cli_on
from tests.conftest import IN_CI
from tests.e2e.inprocess import InProcessServer, serve_here

if TYPE_CHECKING:
    from tests.e2e.lending_setup import Lender

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

# What the browser measures on a page: how wide the document is, and whether the main content
# is free of the navigation and on top where it should be.
MEASURE = """() => {
  const main = document.querySelector("main");
  if (!main) return null;  // a page still loading after a form was sent
  const nav = document.querySelector("nav.sidebar");
  const m = main.getBoundingClientRect();
  const n = nav ? nav.getBoundingClientRect() : null;
  const overlap = n ? Math.max(0, Math.min(m.right, n.right) - Math.max(m.left, n.left)) *
                      Math.max(0, Math.min(m.bottom, n.bottom) - Math.max(m.top, n.top)) : 0;
  const x = m.left + Math.min(40, m.width / 2), y = Math.max(m.top, 0) + 10;
  window.scrollTo(0, 0);
  const hit = document.elementFromPoint(x, Math.min(y, window.innerHeight - 1));
  const wide = [...document.querySelectorAll("main *")].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > window.innerWidth + 1 && !e.closest(".table-scroll, table");
  }).slice(0, 3).map(e => e.tagName + "." + e.className);
  return {scroll: document.scrollingElement.scrollWidth, width: window.innerWidth,
          left: m.left, right: m.right, mainWidth: m.width, overlap: overlap,
          covered: !(hit && main.contains(hit)), wide: wide};
}"""


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
        return cli_on(self.data_dir, args, password)

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


_MIGRATED: list[Path] = []
_MIGRATED_LOCK = threading.Lock()


def _migrated_database(data_dir: Path) -> None:
    """Give a new data folder an empty database already at head, copied from one this test
    process migrated once (here, not in a child: no interpreter to start): migrating from
    nothing costs every server ~3 s of CPU, and tests/e2e/test_serve_process.py checks that
    path (`fresh=True`)."""
    with _MIGRATED_LOCK:
        if not _MIGRATED:
            folder = Path(tempfile.mkdtemp(prefix="evergreen-migrated-"))
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            migrate.upgrade(f"sqlite:///{folder / 'evergreen.db'}")
            _MIGRATED.append(folder / "evergreen.db")
    data_dir.mkdir(parents=True, exist_ok=True)
    source, target = sqlite3.connect(_MIGRATED[0]), sqlite3.connect(data_dir / "evergreen.db")
    try:
        source.backup(target)  # whole and consistent, whatever the journal mode
    finally:
        source.close()
        target.close()


def _spawn(command: list[str], env: dict[str, str], data_dir: Path, url: str) -> Server:
    """Start `python -m evergreen.cli COMMAND` with its output pumped into Server.lines."""
    process = subprocess.Popen(
        [sys.executable, "-m", "evergreen.cli", *command],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    server = Server(url=url, process=process, data_dir=data_dir)

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            server.lines.append(line)

    server.reader = threading.Thread(target=pump, daemon=True)
    server.reader.start()
    return server


def _healthy(server: Server) -> bool:
    """Whether the server answers /healthz (AssertionError with its output once it exited)."""
    if server.process.poll() is not None:
        raise AssertionError("server exited early:\n" + "".join(server.lines))
    try:
        with urllib.request.urlopen(server.url + "/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _started(server: Server, ready: Callable[[], bool], what: str) -> Server:
    """Wait until `ready()`; on failure the process is closed and the test told. The bound is
    generous: four servers starting at once on a loaded 2-core machine took over 60 s."""
    deadline = time.monotonic() + 120
    try:
        while not ready():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} did not start:\n" + "".join(server.lines))
            time.sleep(0.1)
    except BaseException:
        server.close()
        raise
    return server


def _child_env(data_dir: Path, env: dict[str, str] | None) -> dict[str, str]:
    """This process's environment for a child on `data_dir`, with `env` on top (compiled
    modules kept as tests/conftest.py's pytest_configure says)."""
    full_env = {**os.environ, "EVERGREEN_DATA_DIR": str(data_dir), **(env or {})}
    full_env.pop("EVERGREEN_DATABASE_URL", None)
    return full_env


def start_server(
    data_dir: Path,
    env: dict[str, str] | None = None,
    *,
    fresh: bool = False,
    database_url: str | None = None,
) -> Server:
    """Start the server as the README does and wait until it answers /healthz. A new data
    folder gets an empty migrated database unless `fresh` (the server then migrates it);
    `database_url` puts it on that database instead (several servers on one database)."""
    full_env = _child_env(data_dir, env)
    if database_url is not None:
        full_env["EVERGREEN_DATABASE_URL"] = database_url
    elif not fresh and not (data_dir / "evergreen.db").exists():
        _migrated_database(data_dir)
    port = _free_port()
    command = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    server = _spawn(command, full_env, data_dir, f"http://127.0.0.1:{port}")
    return _started(server, lambda: _healthy(server), "server")


def start_worker(data_dir: Path, env: dict[str, str], *, database_url: str) -> Server:
    """Start `evergreen worker` (EVERGREEN_REDIS_URL in `env`) on that database and wait until
    its consumer runs; a Server without an address (it serves nothing)."""
    full_env = {**_child_env(data_dir, env), "EVERGREEN_DATABASE_URL": database_url}
    worker = _spawn(["worker", "--workers", "2"], full_env, data_dir, "")

    def consuming() -> bool:
        if worker.process.poll() is not None:
            raise AssertionError("worker exited early:\n" + "".join(worker.lines))
        return any("Huey consumer started" in line for line in list(worker.lines))

    return _started(worker, consuming, "worker")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[InProcessServer]:
    """A fresh installation served from this process (tests/e2e/inprocess.py): empty data
    folder, no owner yet."""
    running = serve_here(tmp_path / "data")
    yield running
    running.close()


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[Server]:
    """A fresh installation served by a real `evergreen serve` process, for tests of what the
    process itself prints, records or does when stopped."""
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


_LAUNCHED: list[tuple[Any, asyncio.AbstractEventLoop]] = []


@pytest.fixture(scope="session")
def _chromium(chromium_path: str) -> Iterator[tuple[Any, asyncio.AbstractEventLoop]]:
    """One headless Chromium per test process, driven by Playwright: starting both costs
    seconds, so the browser tests share them and each opens contexts of its own.

    Between two calls Playwright's sync API marks its event loop as the thread's running loop
    (its driver goes on in a greenlet), which would make `asyncio.run` refuse to start in any
    later test of the process: the loop is marked only while a browser test runs."""
    if _LAUNCHED:  # a conftest elsewhere imports these fixtures: still one Chromium a process
        yield _LAUNCHED[0]
        return
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=_CHROMIUM_ARGS)
        loop = asyncio.get_running_loop()
        asyncio.events._set_running_loop(None)
        _LAUNCHED.append((launched, loop))
        try:
            yield launched, loop
        finally:  # session fixtures end in reverse: any borrower of it has ended already
            _LAUNCHED.clear()
            asyncio.events._set_running_loop(loop)
            launched.close()


@pytest.fixture
def browser(_chromium: tuple[Any, asyncio.AbstractEventLoop]) -> Iterator[Any]:
    """The shared Chromium, for one test (its driver's loop marked running meanwhile)."""
    launched, loop = _chromium
    asyncio.events._set_running_loop(loop)
    try:
        yield launched
    finally:
        for context in launched.contexts:  # what the test opened itself: no page lives on
            context.close()
        asyncio.events._set_running_loop(None)


@pytest.fixture
def page(browser: Any) -> Iterator[object]:
    """A fresh browser page (its own context: no cookies or storage from other tests)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def lender(server: InProcessServer, browser: Any) -> Iterator[Lender]:
    """An owner with an API token, a borrower, and the owner's and borrower's browser contexts
    (tests/e2e/lending_setup.py), for the lending pages."""
    from tests.e2e.lending_setup import lending

    with lending(server, browser) as made:  # type: ignore[arg-type]
        yield made


@dataclass
class OwnerPage:
    """A signed-in browser page at one width; `fits` screenshots it and notes layout problems."""

    page: Any
    width: int
    shots: str
    problems: list[str] = field(default_factory=list)

    def _measure(self) -> dict[str, Any]:
        """MEASURE on the page as loaded: a form just sent may still be navigating (its page
        has no <main> yet, or the old one's context goes away mid-call), so wait and ask again."""
        from playwright.sync_api import Error as PlaywrightError

        for attempt in range(5):
            self.page.wait_for_load_state("load")
            try:
                seen: dict[str, Any] | None = self.page.evaluate(MEASURE)
            except PlaywrightError:
                if attempt == 4:
                    raise
                seen = None
            if seen is not None:
                return seen
            self.page.wait_for_timeout(200)
        raise AssertionError("the page never showed its <main> element")

    def fits(self, name: str) -> None:
        """Screenshot `<shots>-<width>-<name>.png`; note a page wider than the screen or one
        whose content the navigation covers (the test asserts `problems` is empty at the end)."""
        seen = self._measure()
        shot = ARTIFACTS / f"{self.shots}-{self.width}-{name}.png"
        self.page.screenshot(path=str(shot), full_page=True)
        if seen["scroll"] > seen["width"]:
            self.problems.append(
                f"{name} at {self.width}px is {seen['scroll']}px wide ({seen['wide']})"
            )
        if seen["overlap"] or seen["covered"]:
            self.problems.append(f"{name} at {self.width}px: the navigation covers the content")


SignIn = Callable[[Server, int, str, str, str], OwnerPage]


@pytest.fixture
def signed_in(browser: Any) -> Iterator[SignIn]:
    """Open a context at a width (844 px high) and sign in by the login page:
    `signed_in(server, width, email, password, shots)` -> an OwnerPage; closed after the test."""
    contexts: list[Any] = []

    def sign_in(server: Server, width: int, email: str, password: str, shots: str) -> OwnerPage:
        context = browser.new_context(viewport={"width": width, "height": 844})
        contexts.append(context)
        context.set_default_timeout(20_000)
        page = context.new_page()
        page.goto(server.url + "/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/$"))
        return OwnerPage(page, width, shots)

    try:
        yield sign_in
    finally:
        for context in contexts:
            context.close()
