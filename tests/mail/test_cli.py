"""`evergreen mail …` as a person runs it: a test message reaches a real SMTP server, DKIM-signed
once a key exists; a bad address or template is one line and exit 2."""

from __future__ import annotations

import email
import os
import subprocess
import sys
from pathlib import Path

import dkim as dkimpy

from tests.mail.smtp_server import smtp_server


def _run(tmp_path: Path, port: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ, "EVERGREEN_DATA_DIR": str(tmp_path / "data"),
        "EVERGREEN_SMTP_HOST": "127.0.0.1", "EVERGREEN_SMTP_PORT": str(port),
        "EVERGREEN_MAIL_FROM": "news@example.com",
    }  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "evergreen.cli", "mail", *args],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


def test_test_send_renders_and_sends_one_message(tmp_path: Path) -> None:
    body = tmp_path / "body.md"
    body.write_text("# Hi {{ subscriber.name }}\n\nSee [the site](https://example.com).\n")
    with smtp_server() as (handler, port):
        done = _run(tmp_path, port, "test-send", "bob@example.org", "--subject", "Test",
                    "--body-file", str(body), "--name", "Bob")  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "Sent to bob@example.org" in done.stdout
        (envelope,) = handler.received
    message = email.message_from_bytes(envelope.original_content)
    assert message["Subject"] == "Test"
    assert envelope.rcpt_tos == ["bob@example.org"]
    assert "List-Unsubscribe" not in message  # a test send is not bulk mail
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    assert "Hi Bob" in text.get_payload(decode=True).decode()


def test_dkim_keygen_prints_the_record_and_later_sends_are_signed(tmp_path: Path) -> None:
    with smtp_server() as (handler, port):
        made = _run(tmp_path, port, "dkim-keygen", "--domain", "example.com", "--selector", "s1")
        assert made.returncode == 0, made.stderr
        assert "s1._domainkey.example.com" in made.stdout
        value = made.stdout.split("value: ", 1)[1].strip()
        key = tmp_path / "data" / "dkim" / "s1.example.com.pem"
        assert key.stat().st_mode & 0o777 == 0o600
        again = _run(tmp_path, port, "dkim-keygen", "--domain", "example.com", "--selector", "s1")
        assert again.returncode == 2
        assert "--force" in again.stderr
        body = tmp_path / "body.md"
        body.write_text("Hello")
        sent = _run(tmp_path, port, "test-send", "bob@example.org", "--subject", "Signed",
                    "--body-file", str(body))  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        (envelope,) = handler.received
    assert dkimpy.verify(
        envelope.original_content,
        dnsfunc=lambda name, timeout=5: value.encode()
        if name == b"s1._domainkey.example.com." else None,
    )  # fmt: skip


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    body = tmp_path / "body.md"
    body.write_text("Hi {{ nmae }}")
    with smtp_server() as (handler, port):
        bad_to = _run(tmp_path, port, "test-send", "not-an-address", "--subject", "x",
                      "--body-file", str(body))  # fmt: skip
        bad_template = _run(tmp_path, port, "test-send", "a@example.org", "--subject", "x",
                            "--body-file", str(body))  # fmt: skip
        refused = _run(tmp_path, port, "test-send", "hard@example.org", "--subject", "x",
                       "--body-file", str(tmp_path / "missing.md"))  # fmt: skip
    assert bad_to.returncode == 2
    assert "to:" in bad_to.stderr
    assert "Traceback" not in bad_to.stderr
    assert bad_template.returncode == 2
    assert "nmae" in bad_template.stderr
    assert refused.returncode == 2
    assert "body_file" in refused.stderr
    assert handler.received == []


def test_a_refused_recipient_is_reported_with_the_servers_answer(tmp_path: Path) -> None:
    body = tmp_path / "body.md"
    body.write_text("Hello")
    with smtp_server() as (_, port):
        done = _run(tmp_path, port, "test-send", "hard@example.org", "--subject", "x",
                    "--body-file", str(body))  # fmt: skip
    assert done.returncode == 1
    assert "bounced" in done.stderr
    assert "550" in done.stderr
