"""`evergreen serve` as a person starts it: on another port every URL follows, a busy port is one
line and nothing started, and a good start ends with the address and the setup link."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from evergreen.links.formats.qr import qr_svg
from evergreen.migrate import head_revision
from tests.e2e.conftest import Server, _free_port, start_server
from tests.http_helpers import PASSWORD


def _evergreen(data_dir: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `evergreen ARGS` as a person would, with no EVERGREEN_BASE_URL."""
    env = {k: v for k, v in os.environ.items() if k != "EVERGREEN_BASE_URL"}
    env.pop("EVERGREEN_DATABASE_URL", None)
    env["EVERGREEN_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "evergreen.cli", *args],
        capture_output=True, text=True, env=env, timeout=timeout, check=False,
    )  # fmt: skip


def _api(server: Server, token: str, method: str, path: str, body: object = None) -> bytes:
    request = urllib.request.Request(
        server.url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        data: bytes = response.read()
        return data


def test_every_absolute_url_follows_the_port_serve_listens_on(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", fresh=True)
    try:
        assert not server.url.endswith(":8000")
        server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)
        token = server.cli("token", "create", "--email", "me@example.com").strip()
        created = _evergreen(server.data_dir, "links", "create", "https://shop.example/",
                             "--slug", "deal")  # fmt: skip
        assert created.returncode == 0, created.stderr
        assert created.stdout == f"{server.url}/go/deal\n"
        assert f"Short URLs use {server.url} (the address `evergreen serve`" in created.stderr
        link = json.loads(_api(server, token, "GET", "/api/v1/links/deal"))
        assert link["short_url"] == f"{server.url}/go/deal"
        assert _api(server, token, "GET", "/api/v1/links/deal/qr") == qr_svg(
            f"{server.url}/go/deal"
        )
        partner = json.loads(
            _api(server, token, "POST", "/api/v1/partners", {"name": "Bo", "email": "b@x.example"})
        )
        invite = json.loads(_api(server, token, "POST", f"/api/v1/partners/{partner['id']}/invite"))
        assert invite["url"].startswith(f"{server.url}/portal/invite?token=")
        invited = _evergreen(server.data_dir, "partners", "invite", str(partner["id"]))
        assert invited.returncode == 0, invited.stderr
        assert invited.stdout.startswith(f"{server.url}/portal/invite?token=")
        assert f"Links use {server.url} (the address `evergreen serve`" in invited.stderr
        network = json.loads(_api(server, token, "POST", "/api/v1/networks", {"name": "Awin"}))
        assert network["postback_url"].startswith(f"{server.url}/api/v1/networks/")
    finally:
        server.close()


def _processes_of(data_dir: Path) -> list[int]:
    """Processes started with this data folder (their environment names it)."""
    mark = f"EVERGREEN_DATA_DIR={data_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if mark in environ:
                found.append(int(entry.name))
    return found


def test_a_busy_port_is_one_line_exit_2_and_nothing_started(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = _free_port()
    with socket.socket() as other:  # another program on the port
        other.bind(("127.0.0.1", port))
        other.listen()
        result = _evergreen(data_dir, "serve", "--port", str(port))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: cannot listen on 127.0.0.1:{port}: another program")
    assert "--port" in line
    assert "EVERGREEN_PORT" in line
    assert _processes_of(data_dir) == []  # no ingester or worker left behind
    assert not (data_dir / "evergreen.db").exists()  # not even migrated: nothing started


def test_a_good_start_ends_with_the_address_and_the_setup_link(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", fresh=True)
    try:
        server.wait_for_line(r"Press Ctrl\+C to stop\.")
        # What the first seconds log (periodic tasks run at once) must not follow it: give them
        # the time they took before this was fixed, then read the output.
        time.sleep(3)
        lines = [line.rstrip("\n") for line in server.lines]
    finally:
        server.close()
    running = lines.index(f"Evergreen is running at {server.url}")
    # The new database in one line, not Alembic's few lines per migration.
    assert [line for line in lines if "alembic" in line] == []
    assert f"INFO evergreen.migrate: database created at revision {head_revision()}" in lines
    assert lines[running + 1].startswith(
        f"First run: create the owner account at {server.url}/setup?token="
    )
    assert lines[running + 1 :] == [
        lines[running + 1],
        "(or run `evergreen init` in another terminal)",
        "Press Ctrl+C to stop.",
    ]
    assert server.url in lines[running - 1]  # which base URL links use, just above
    assert "EVERGREEN_BASE_URL" in lines[running - 1]
