"""`evergreen webinars video|offer|chat …` on SQLite and PostgreSQL: a recording file copied
into the data folder or a URL, offers with their tracking links and deadlines, dated chat
lines; a missing file, a bad URL, a second past the end or a future date is one line naming
the field, exit 2, nothing stored."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.cli_helpers import evergreen, refused, succeeded

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256)) * 4


def _run(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen("webinars", *args, data_dir=tmp_path / "data", database_url=url)


def _ok(tmp_path: Path, url: str, *args: str) -> str:
    return succeeded(_run(tmp_path, url, *args))


def _refused(tmp_path: Path, url: str, field: str, *args: str) -> None:
    refused(_run(tmp_path, url, *args), field)


def test_video_offers_and_chat_from_the_command_line(tmp_path: Path, database_url: str) -> None:
    _ok(tmp_path, database_url, "add", "demo", "--duration-minutes", "10", "--schedule",
        "jit:15", "--timezone", "viewer")  # fmt: skip
    source = tmp_path / "talk.mp4"
    source.write_bytes(MP4)
    out = _ok(tmp_path, database_url, "video", "demo", "--file", str(source))
    assert f"Stored the recording (video/mp4, {len(MP4)} bytes)." in out
    (stored,) = (tmp_path / "data" / "webinars" / "1").glob("recording-*.mp4")
    assert stored.read_bytes() == MP4
    out = _ok(tmp_path, database_url, "offer", "add", "demo", "--at-second", "300", "--title",
              "The Course", "--url", "https://shop.example/c", "--button", "Buy now",
              "--deadline-minutes", "15")  # fmt: skip
    assert "Added offer 1 'The Course' at second 300, closes 15 min after" in out
    assert "tracking link" in out
    listed = _ok(tmp_path, database_url, "offer", "list", "demo")
    assert "at 300s  The Course  → https://shop.example/c  deadline 15" in listed
    out = _ok(tmp_path, database_url, "chat", "add", "demo", "--at-second", "60", "--question",
              "Does it work in Europe?", "--asked-on", "2026-11-02")  # fmt: skip
    assert "Added question 1 at second 60 (asked on 2026-11-02)." in out
    assert "asked on 2026-11-02  Does it work in Europe?" in _ok(
        tmp_path, database_url, "chat", "list", "demo"
    )
    out = _ok(tmp_path, database_url, "video", "demo", "--url", "https://cdn.example/d.mp4")
    assert "The recording is at https://cdn.example/d.mp4." in out
    assert not stored.exists()
    _ok(tmp_path, database_url, "offer", "remove", "demo", "1")
    _ok(tmp_path, database_url, "chat", "remove", "demo", "1")
    assert "No offers yet." in _ok(tmp_path, database_url, "offer", "list", "demo")
    assert "No questions yet." in _ok(tmp_path, database_url, "chat", "list", "demo")


def test_bad_content_is_one_line_naming_the_field(tmp_path: Path, database_url: str) -> None:
    _ok(tmp_path, database_url, "add", "demo", "--duration-minutes", "10", "--schedule",
        "jit:15", "--timezone", "viewer")  # fmt: skip
    text = tmp_path / "notes.txt"
    text.write_text("not a video at all " * 10)
    _refused(tmp_path, database_url, "file", "video", "demo", "--file", str(tmp_path / "no.mp4"))
    _refused(tmp_path, database_url, "video", "video", "demo", "--file", str(text))
    _refused(tmp_path, database_url, "video_url", "video", "demo", "--url", "ftp://x/y.mp4")
    _refused(tmp_path, database_url, "video", "video", "demo")
    _refused(tmp_path, database_url, "no webinar named", "video", "nope", "--url", "https://x/y")
    offer = ["offer", "add", "demo", "--title", "T", "--url", "https://shop.example/c"]
    _refused(tmp_path, database_url, "at_second", *offer, "--at-second", "600")
    _refused(tmp_path, database_url, "at_second", *offer, "--at-second", "-1")
    _refused(tmp_path, database_url, "deadline_minutes", *offer, "--at-second", "5",
             "--deadline-minutes", "0")  # fmt: skip
    chat = ["chat", "add", "demo", "--at-second", "5", "--question", "Q?"]
    _refused(tmp_path, database_url, "asked_on", *chat, "--asked-on", "2999-01-01")
    assert "No offers yet." in _ok(tmp_path, database_url, "offer", "list", "demo")
    assert "No questions yet." in _ok(tmp_path, database_url, "chat", "list", "demo")
    assert not list((tmp_path / "data" / "webinars" / "1").glob("recording*"))
