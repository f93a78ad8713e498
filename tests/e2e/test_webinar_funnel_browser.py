"""The evergreen webinar funnel end to end, as issue 13 asks: a visitor registers on the
registration page (with consent for the list), the confirmation mail reaches a real SMTP server
(aiosmtpd), they join the room inside their session, the offer appears at its second, the
page's heartbeats are recorded as watch time, and after the session the right after-sequence
(attended, not no-show) mails them.

Time is compressed in one place: the registrant's assigned session is moved to "a second ago"
in the database (the schedule offers sessions minutes ahead), so the room, the heartbeats and
the attendance rules all run on the real clock; the scheduler is then asked to tick at the
moment the outcome becomes final (`sequences run-due --now`), as the contract allows."""

from __future__ import annotations

import email
import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.inprocess import serve_here
from tests.e2e.test_webinar_room_browser import record
from tests.mail.smtp_server import smtp_env, smtp_server

pytestmark = pytest.mark.browser
WORDING = "Yes, send me the Demo emails."


def _after(status: str, subject: str) -> str:
    return json.dumps({
        "trigger": {"kind": "webinar", "status": status, "webinar": "demo"},
        "steps": [{"kind": "send", "message": "m"}],
        "messages": {"m": {"subject": subject, "body": "Hello {{ subscriber.name }}."}},
    })  # fmt: skip


def _subjects(handler: object) -> list[tuple[str, str]]:
    found = []
    for envelope in handler.received:  # type: ignore[attr-defined]
        mail = email.message_from_bytes(envelope.content)
        found.append((mail["To"], str(mail["Subject"])))
    return found


def _wait(check: object, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.1)


def test_register_mail_room_offer_heartbeats_then_the_attended_after_sequence(
    tmp_path: Path, page: object
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    video = tmp_path / "talk.webm"
    video.write_bytes(record(page, 8))
    with smtp_server() as (handler, port):
        data = tmp_path / "data"
        mail = {
            **smtp_env(port, "webinars@shop.example"),
            "EVERGREEN_MAIL_POSTAL_ADDRESS": "1 Main St",
        }
        env = {**os.environ, **mail, "EVERGREEN_DATA_DIR": str(data)}
        env.pop("EVERGREEN_DATABASE_URL", None)
        server = serve_here(data, mail)
        try:
            server.cli("audience", "lists", "add", "Demo list", "--single-opt-in")
            server.cli("webinars", "add", "demo", "--duration-minutes", "1", "--schedule",
                       "jit:15", "--timezone", "viewer", "--slug", "demo", "--title",
                       "The Demo", "--replay-hours", "0", "--list-id", "1",
                       "--consent-wording", WORDING)  # fmt: skip
            server.cli("webinars", "video", "demo", "--file", str(video))
            server.cli("webinars", "offer", "add", "demo", "--at-second", "3", "--title",
                       "The Course", "--url", "https://shop.example/course")  # fmt: skip
            for name, status, subject in (("thanks", "attended", "Thanks for watching"),
                                          ("missed", "missed", "Sorry we missed you")):  # fmt: skip
                document = tmp_path / f"{name}.json"
                document.write_text(_after(status, subject))
                server.cli("sequences", "add", name, "--list", "Demo list", "--file", str(document))
                server.cli("sequences", "activate", name)

            visitor = page.context.new_page()
            errors: list[str] = []
            visitor.on("pageerror", lambda error: errors.append(str(error)))
            visitor.goto(server.url + "/w/demo?tz=UTC&channel=youtube")
            visitor.get_by_label("Email", exact=True).fill("jo@example.com")
            visitor.get_by_label("Name", exact=True).fill("Jo")
            visitor.get_by_role("checkbox", name=WORDING).check()
            time.sleep(2.2)  # a person takes a moment; faster is the time trap
            visitor.get_by_role("button", name="Register").click()
            expect(visitor.get_by_role("heading", name="You're registered")).to_be_visible()
            room = server.url + (visitor.locator("#room-link").get_attribute("href") or "")

            _wait(lambda: handler.received)
            assert _subjects(handler) == [("Jo <jo@example.com>", "You're registered: The Demo")]
            confirmation = email.message_from_bytes(handler.received[0].content)  # type: ignore[arg-type]
            html = next(p for p in confirmation.walk() if p.get_content_type() == "text/html")
            assert room.split("/w/", 1)[1] in html.get_payload(decode=True).decode()  # type: ignore[union-attr]

            # The one compression of time: their session began a second ago.
            start = datetime.now(UTC) - timedelta(seconds=1)
            with sqlite3.connect(data / "evergreen.db") as db:
                db.execute("UPDATE webinar_registrations SET session_start = ?",
                           (start.replace(tzinfo=None).isoformat(sep=" "),))  # fmt: skip

            visitor.goto(room)
            expect(visitor.locator("#room-video")).to_be_visible()
            with visitor.expect_request(lambda r: r.url.endswith("/w/demo/beat")) as beat:
                visitor.get_by_role("button", name="Join the presentation").click()
            assert beat.value.method == "POST"
            offer = visitor.locator(".room-offer")
            expect(offer).to_be_visible(timeout=10_000)
            assert visitor.evaluate("window.evergreenRoom.position()") >= 3
            for width in (390, 1280):
                visitor.set_viewport_size({"width": width, "height": 800})
                assert visitor.evaluate("document.documentElement.scrollWidth") <= width
                visitor.screenshot(path=str(ARTIFACTS / f"webinar-funnel-room-{width}.png"))

            def watched() -> int:
                with sqlite3.connect(data / "evergreen.db") as db:
                    row = db.execute("SELECT live_seconds FROM webinar_attendance").fetchone()
                return int(row[0]) if row else 0

            _wait(lambda: watched() >= 10, timeout=30)  # two 5-second buckets, live
            assert watched() >= 10
            assert errors == []

            final = start + timedelta(minutes=1 + 15, seconds=5)  # session end + the grace
            at = final.isoformat().replace("+00:00", "Z")

            def run_due(now: str) -> str:  # a process with the server's settings, SMTP included
                done = subprocess.run(
                    [sys.executable, "-m", "evergreen.cli", "sequences", "run-due", "--now", now,
                     "--json"], env=env, capture_output=True, text=True, timeout=120, check=False,
                )  # fmt: skip
                assert done.returncode == 0, done.stderr
                return done.stdout

            tick = json.loads(run_due(at))
            assert tick["enrolled"] == 1
            _wait(lambda: len(handler.received) >= 2)
            assert _subjects(handler)[1:] == [("Jo <jo@example.com>", "Thanks for watching")]
            again = json.loads(run_due(at))
            assert again["sent"] == 0
            assert again["enrolled"] == 0
            assert len(handler.received) == 2  # the no-show sequence sent nothing
        finally:
            server.close()
