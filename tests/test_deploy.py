"""The deployment guide's example files work as written: nginx accepts its file, systemd its
units, the compose file names its services, and every command and setting they use exists."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from evergreen.cli import app
from evergreen.config import Settings
from tests.cli_helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
GUIDE = ROOT / "docs" / "DEPLOY.md"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
NGINX = DEPLOY / "nginx" / "evergreen.conf"
COMPOSE = DEPLOY / "docker-compose.yml"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _exists(command: list[str], tmp_path: Path) -> None:
    """`evergreen ARGS --help` exits 0: the command and every option it names exist."""
    assert command[0] == "evergreen" or command[0].endswith("/evergreen"), command
    env = {"EVERGREEN_DATA_DIR": str(tmp_path / "data"), "EVERGREEN_DATABASE_URL": None}
    result = run_cli([*command[1:], "--help"], env)
    assert result.returncode == 0, (command, result.stdout, result.stderr)
    assert "Usage:" in result.stdout


def test_the_nginx_file_passes_nginx_t(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is needed for this test (apt-get install nginx-light)"
    key, cert = tmp_path / "privkey.pem", tmp_path / "fullchain.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=money.example.com"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    site = NGINX.read_text(encoding="utf-8")
    assert site.count("server 10.0.0.") == 2  # the upstream of two servers
    site = site.replace("/etc/letsencrypt/live/money.example.com/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/money.example.com/privkey.pem", str(key))
    site = site.replace("listen 80;", f"listen 127.0.0.1:{_free_port()};")
    site = site.replace("listen 443 ssl", f"listen 127.0.0.1:{_free_port()} ssl")
    (tmp_path / "evergreen.conf").write_text(site, encoding="utf-8")
    temps = "\n".join(
        f"    {kind}_temp_path {tmp_path / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    wrapper = tmp_path / "nginx.conf"
    wrapper.write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\n"
        f"events {{}}\nhttp {{\n    access_log off;\n{temps}\n"
        f"    include {tmp_path / 'evergreen.conf'};\n}}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(wrapper), "-e", str(tmp_path / "error.log")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
    assert "test is successful" in result.stderr


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize("unit", UNITS, ids=[path.name for path in UNITS])
def test_a_systemd_unit_parses_and_runs_a_real_command(unit: Path, tmp_path: Path) -> None:
    parsed = _unit(unit)
    assert parsed.sections() == ["Unit", "Service", "Install"]
    service = parsed["Service"]
    # The stop signal to the main process only: serve drains (time for both bounded steps),
    # the queue consumer stops gracefully on SIGINT (SIGTERM would interrupt its tasks).
    assert service["KillMode"] == "mixed"
    command = shlex.split(service["ExecStart"])
    if command[1] == "serve":
        assert service["KillSignal"] == "SIGTERM"
        assert int(service["TimeoutStopSec"]) >= 2 * Settings().drain_timeout_s
    else:
        assert command[1] == "worker"
        assert service["KillSignal"] == "SIGINT"
    _exists(command, tmp_path)
    verify = shutil.which("systemd-analyze")
    if verify is None:  # the parser check above is what can be done without systemd
        return
    # systemd-analyze checks that the program exists: point it at this environment's.
    installed = Path(sys.executable).parent / "evergreen"
    text = unit.read_text(encoding="utf-8").replace(command[0], str(installed))
    local = tmp_path / unit.name
    local.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [verify, "verify", str(local)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert unit.name not in result.stderr, result.stderr  # e.g. "Unknown key … ignoring"


def test_the_compose_file_runs_two_servers_a_worker_and_migrates_once(tmp_path: Path) -> None:
    compose: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web1", "web2", "worker"}
    commands = {
        name: service["command"]
        for name, service in services.items()
        if service.get("command", [""])[0] == "evergreen"
    }
    assert commands["migrate"] == ["evergreen", "db", "upgrade"]
    assert commands["web1"][:2] == commands["web2"][:2] == ["evergreen", "serve"]
    assert commands["worker"][:2] == ["evergreen", "worker"]
    for command in commands.values():
        _exists(command, tmp_path)
    for name in ("web1", "web2", "worker"):
        after = services[name]["depends_on"]["migrate"]["condition"]
        assert after == "service_completed_successfully", name
    assert services["web1"]["volumes"] != services["web2"]["volumes"]  # a spool each
    assert services["worker"]["stop_signal"] == "SIGINT"
    for name in ("web1", "web2"):
        grace = int(str(services[name]["stop_grace_period"]).removesuffix("s"))
        assert grace >= 2 * Settings().drain_timeout_s, name
    build = services["web1"]["build"]
    assert (COMPOSE.parent / build["context"] / build["dockerfile"]).is_file()
    cmd = re.search(r"^CMD (\[.*\])$", (DEPLOY / "Dockerfile").read_text(), re.M)
    assert cmd is not None
    _exists(yaml.safe_load(cmd.group(1)), tmp_path)


def _guide_commands() -> list[list[str]]:
    """Every `evergreen …` the guide shows: lines of its code blocks and inline code."""
    text = GUIDE.read_text(encoding="utf-8")
    found: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        found += [line for line in block.splitlines() if line.startswith("evergreen ")]
    found += re.findall(r"`(evergreen [^`]+)`", text)
    return [shlex.split(line, comments=True) for line in found]


def test_every_command_the_guide_shows_exists(tmp_path: Path) -> None:
    commands = _guide_commands()
    shown = {" ".join(command[:3]) for command in commands}
    assert {"evergreen db upgrade", "evergreen links ingest"} <= shown
    for command in commands:
        _exists(command, tmp_path)


def _cli_envvars(command: Any) -> set[str]:
    """Every environment variable an option of the command or its subcommands reads."""
    names: set[str] = set()
    for param in command.params:
        envvar = getattr(param, "envvar", None)
        names |= {envvar} if isinstance(envvar, str) else set(envvar or ())
    if hasattr(command, "list_commands"):  # a group: its area commands load when asked for
        context = typer.Context(command)
        for name in command.list_commands(context):
            names |= _cli_envvars(command.get_command(context, name))
    return names


def test_every_setting_the_files_mention_is_one_evergreen_reads() -> None:
    known = {f"EVERGREEN_{name.upper()}" for name in Settings.model_fields}
    known |= _cli_envvars(typer.main.get_command(app))  # EVERGREEN_HOST, EVERGREEN_PORT
    files = [GUIDE, *(path for path in DEPLOY.rglob("*") if path.is_file())]
    mentioned: dict[str, set[str]] = {}
    for path in files:
        for name in re.findall(r"EVERGREEN_[A-Z0-9_]+", path.read_text(encoding="utf-8")):
            mentioned.setdefault(name, set()).add(path.name)
    assert {"EVERGREEN_DRAIN_TIMEOUT_S", "EVERGREEN_TRUSTED_PROXIES"} <= set(mentioned)
    unknown = {name: where for name, where in mentioned.items() if name not in known}
    assert not unknown
