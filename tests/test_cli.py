"""The `evergreen` command as a person runs it: clear errors, no tracebacks; the first tests run
the real child process, the rest call the same entry point in this process (tests/cli_helpers)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from evergreen.accounts import service as accounts
from evergreen.db import Database
from tests.cli_helpers import evergreen

PASSWORD = "a long enough passphrase"


def evergreen_process(
    *args: str, data_dir: Path, database_url: str | None, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI in a child process with its own data folder."""
    full_env = {**os.environ, "EVERGREEN_DATA_DIR": str(data_dir), **env}
    if database_url:
        full_env["EVERGREEN_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "evergreen.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
        check=False,
    )


def _no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.both_databases
def test_init_creates_the_owner_once(tmp_path: Path, database_url: str) -> None:
    result = evergreen_process(
        "init",
        "--email",
        "Me@Example.com",
        "--password-stdin",
        data_dir=tmp_path,
        database_url=database_url,
        stdin=PASSWORD + "\n",
    )
    assert result.returncode == 0, result.stderr
    assert "Owner me@example.com created" in result.stdout
    db = Database(database_url)
    with db.session() as session:
        assert [(u.email, u.role) for u in accounts.list_users(session)] == [
            ("me@example.com", "owner")
        ]
    db.dispose()
    again = evergreen_process(
        "init",
        "--email",
        "other@example.com",
        "--password-stdin",
        data_dir=tmp_path,
        database_url=database_url,
        stdin=PASSWORD + "\n",
    )
    assert again.returncode == 2
    assert "already has an owner" in again.stderr
    _no_traceback(again)


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["init", "--email", "me@example.com", "--password-stdin"], "short\n", "at least 10"),
        (["init", "--email", "not-an-email", "--password-stdin"], PASSWORD + "\n", "valid email"),
        (["init", "--email", "me@example.com", "--password-stdin"], "", "standard input was empty"),
        (["init", "--password-stdin"], PASSWORD + "\n", "--email is required"),
        (["token", "create", "--email", "ghost@example.com"], "", "No user with email"),
        (["user", "create", "--role", "owner", "--email", "x@example.com"], "", "evergreen init"),
    ],
)
def test_user_mistakes_get_one_clear_line(
    tmp_path: Path, args: list[str], stdin: str, message: str
) -> None:
    result = evergreen(*args, data_dir=tmp_path, database_url=None, stdin=stdin)
    assert result.returncode == 2
    assert message in result.stderr
    _no_traceback(result)


def test_staff_and_token_commands(tmp_path: Path, database_url: str) -> None:
    created = evergreen(
        "user",
        "create",
        "--email",
        "helper@example.com",
        "--password-stdin",
        data_dir=tmp_path,
        database_url=database_url,
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    assert "Staff helper@example.com created." in created.stdout
    token = evergreen(
        "token",
        "create",
        "--email",
        "helper@example.com",
        data_dir=tmp_path,
        database_url=database_url,
    )
    assert token.returncode == 0, token.stderr
    raw = token.stdout.strip()
    assert raw.startswith("evg_")
    assert "will not be shown again" in token.stderr
    db = Database(database_url)
    with db.session() as session:
        user = accounts.user_for_token(session, raw)
        assert user is not None
        assert (user.email, user.role) == ("helper@example.com", "staff")
    db.dispose()


def test_db_upgrade_reports_the_revision(tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    from evergreen.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    result = evergreen("db", "upgrade", data_dir=tmp_path, database_url=None)
    assert result.returncode == 0, result.stderr
    assert f"Database at revision {head}" in result.stdout
    assert (tmp_path / "evergreen.db").exists()


def test_invalid_settings_and_unreachable_database_are_explained(tmp_path: Path) -> None:
    bad = evergreen_process("db", "upgrade", data_dir=tmp_path, database_url="mysql://nope")
    assert bad.returncode == 2
    assert "EVERGREEN_DATABASE_URL: must start with sqlite:/// or postgresql://" in bad.stderr
    _no_traceback(bad)
    weak = evergreen_process(
        "db",
        "current",
        data_dir=tmp_path,
        database_url=None,
        EVERGREEN_ENV="production",
        EVERGREEN_SECRET_KEY="short",
    )
    assert weak.returncode == 2
    assert "too weak for production" in weak.stderr
    down = evergreen_process(
        "db", "upgrade", data_dir=tmp_path, database_url="postgresql://nobody@127.0.0.1:9/none"
    )
    assert down.returncode == 2
    assert "cannot use the database at postgresql+psycopg://nobody@127.0.0.1:9/none" in down.stderr
    _no_traceback(down)


def test_worker_without_redis_explains_the_embedded_queue(tmp_path: Path) -> None:
    result = evergreen("worker", data_dir=tmp_path, database_url=None)
    assert result.returncode == 2
    assert "needs EVERGREEN_REDIS_URL" in result.stderr


def test_bad_option_values_are_refused_by_name(tmp_path: Path) -> None:
    result = evergreen("serve", "--port", "99999", data_dir=tmp_path, database_url=None)
    assert result.returncode == 2
    assert "--port" in result.stderr
    _no_traceback(result)


def test_python_dash_m_evergreen_is_the_command_line(tmp_path: Path) -> None:
    """`python -m evergreen` (what people try when the script is not on PATH) runs the CLI."""
    env = {**os.environ, "EVERGREEN_DATA_DIR": str(tmp_path)}
    ran = subprocess.run(
        [sys.executable, "-m", "evergreen", "--help"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "init" in ran.stdout
    assert "serve" in ran.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["audience", "import", "x" * 300, "--list", "News"], "File name too long"),
        (["ledger", "import", ".", "--yes"], "Is a directory"),
        (["commerce", "supplier", "export", "--out", ".", "--yes"], "--out: '.' is not a file"),
        (["ledger", "export", "-o", ""], "names a folder"),
        (["db", "upgrade", "nonsense"], "revision"),
        (["db", "upgrade", ""], "revision"),
        (["mail", "send", "--lease", "NaN"], "--lease"),
        (["mail", "send", "--lease", "1e999"], "--lease"),
        (["mail", "send", "--lease", "-1"], "--lease"),
    ],
)
def test_a_file_it_cannot_use_or_a_value_out_of_range_is_one_line(
    args: list[str], words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each of these printed a traceback (found by running every command with odd values)."""
    monkeypatch.chdir(tmp_path)  # "." is a folder the test owns
    done = evergreen(*args, data_dir=tmp_path / "data", database_url=None)
    assert "Traceback" not in done.stderr + done.stdout
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert words in lines[0], lines
