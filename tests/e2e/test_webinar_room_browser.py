"""A registrant joins the watch room at a simulated time inside their session (EVERGREEN_ENV=test
allows ?at=): the honest label, the recording (a real webm Chromium records from a canvas, then
uploaded with `evergreen webinars video --file`), a dated question from an earlier session at its
second, the offer appearing at its second and its button leading through the tracking link to
the shop; heartbeats are posted while playing (a 404 until the beats endpoint exists breaks
nothing); after the replay window the room says it closed and gives no recording. At 390 px and
1280 px, nothing wider than the screen."""

from __future__ import annotations

import base64
import json
import re
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.inprocess import serve_here

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"

RECORD = """async (SECONDS) => {
  const canvas = document.createElement("canvas");
  canvas.width = 64; canvas.height = 48;
  document.body.append(canvas);
  const ctx = canvas.getContext("2d");
  const recorder = new MediaRecorder(canvas.captureStream(10), {mimeType: "video/webm;codecs=vp8"});
  const parts = [];
  recorder.ondataavailable = (event) => parts.push(event.data);
  let frame = 0;
  const timer = setInterval(() => {
    ctx.fillStyle = `hsl(${frame * 20}, 80%, 50%)`; ctx.fillRect(0, 0, 64, 48); frame++;
  }, 100);
  recorder.start();
  await new Promise((done) => setTimeout(done, SECONDS * 1000));
  recorder.stop();
  await new Promise((done) => { recorder.onstop = done; });
  clearInterval(timer);
  const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
  let text = "";
  for (const byte of bytes) { text += String.fromCharCode(byte); }
  return btoa(text);
}"""


_RECORDINGS: dict[int, bytes] = {}


def record(page: object, seconds: int = 3) -> bytes:
    """A webm of `seconds` that Chromium records from a canvas in real time, recorded once a
    test process for each length (the tests upload it, none changes it)."""
    if seconds not in _RECORDINGS:
        page.set_content("<body></body>")  # type: ignore[attr-defined]
        _RECORDINGS[seconds] = base64.b64decode(page.evaluate(RECORD, seconds))  # type: ignore[attr-defined]
    return _RECORDINGS[seconds]


SEEK_AHEAD = """() => new Promise((done) => {
  const video = document.getElementById("room-video");
  const seek = () => {
    video.addEventListener("seeked", () => setTimeout(() => done({
      tried: 2.9, now: video.currentTime, live: window.evergreenRoom.livePosition(),
      seekable: video.seekable.length ? video.seekable.end(0) : 0,
    }), 400), {once: true});
    video.currentTime = 2.9;
  };
  if (video.readyState >= 1) { seek(); }
  else { video.addEventListener("loadedmetadata", seek, {once: true}); }
})"""


def _shoot(page: object, name: str) -> None:
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 800})  # type: ignore[attr-defined]
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # type: ignore[attr-defined]
        page.screenshot(path=str(ARTIFACTS / f"webinar-room-{name}-{width}.png"), full_page=True)  # type: ignore[attr-defined]
    page.set_viewport_size({"width": 1280, "height": 800})  # type: ignore[attr-defined]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_the_room_plays_from_the_session_second_and_shows_the_offer_at_its_second(
    tmp_path: Path, page: object
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    video = tmp_path / "talk.webm"
    video.write_bytes(record(page))
    server = serve_here(tmp_path / "data")
    try:
        server.cli("webinars", "add", "demo", "--duration-minutes", "10", "--schedule", "jit:15",
                   "--timezone", "viewer", "--slug", "demo", "--title", "The Demo",
                   "--presenter", "Ana", "--replay-hours", "48")  # fmt: skip
        assert "video/webm" in server.cli("webinars", "video", "demo", "--file", str(video))
        server.cli("webinars", "offer", "add", "demo", "--at-second", "4", "--title",
                   "The Course", "--url", "https://shop.example/course", "--button",
                   "Get the course", "--deadline-minutes", "5")  # fmt: skip
        asked = (date.today() - timedelta(days=30)).isoformat()
        server.cli("webinars", "chat", "add", "demo", "--at-second", "2", "--question",
                   "Is there a replay?", "--asked-on", asked)  # fmt: skip

        visitor = page.context.new_page()
        errors: list[str] = []
        visitor.on("pageerror", lambda error: errors.append(str(error)))
        visitor.route(
            "https://shop.example/**",
            lambda route: route.fulfill(
                status=200, body="<h1>The shop</h1>", content_type="text/html"
            ),
        )
        visitor.goto(server.url + "/w/demo?tz=UTC")
        visitor.get_by_label("Email", exact=True).fill("jo@example.com")
        time.sleep(2.2)  # a person takes a moment; faster is the time trap
        visitor.get_by_role("button", name="Register").click()
        try:
            expect(visitor.locator("#room-link")).to_be_attached()
        except AssertionError:  # say what the page showed instead
            shown = visitor.locator("body").inner_text()[:600]
            raise AssertionError(f"no room link at {visitor.url}: {shown}") from None
        room = server.url + (visitor.locator("#room-link").get_attribute("href") or "")
        (row,) = json.loads(server.cli("webinars", "registrations", "demo", "--json"))
        start = datetime.fromisoformat(row["session_start"].replace("Z", "+00:00"))

        visitor.goto(room)  # the real clock: the session is ahead
        expect(visitor.locator("#room-opens")).to_be_visible()
        assert visitor.locator("#room-video").count() == 0

        visitor.goto(f"{room}?at={_iso(start)}")  # joining just as the session starts
        expect(visitor.locator("#room-label")).to_contain_text(
            "Recorded presentation, played at your session time"
        )
        assert visitor.locator(".room-offer").count() == 0
        assert visitor.evaluate("window.evergreenRoom.position()") < 4
        ahead = visitor.evaluate(SEEK_AHEAD)  # seeking past the live position is undone
        assert ahead["tried"] == 2.9, ahead
        assert ahead["now"] <= ahead["live"] + 1, ahead
        with visitor.expect_request(
            lambda request: request.url.endswith("/w/demo/beat") and request.method == "POST"
        ) as beat:
            visitor.get_by_role("button", name="Join the presentation").click()
        sent = json.loads(beat.value.post_data or "{}")
        assert sent["token"] == room.rsplit("/", 1)[1]
        assert sent["second"] >= 0
        chat = visitor.locator("#room-chat-lines li")
        expect(chat).to_contain_text("Is there a replay?", timeout=10_000)
        day = date.fromisoformat(asked)
        expect(chat).to_contain_text(f"asked on {day.day} {day:%B %Y} in an earlier session")
        offer = visitor.locator(".room-offer")
        expect(offer).to_be_visible(timeout=10_000)
        assert visitor.evaluate("window.evergreenRoom.position()") >= 4  # not before its second
        expect(offer).to_contain_text("The Course")
        expect(offer).to_contain_text("This offer closes in")
        _shoot(visitor, "live")

        # A late joiner starts where the session is; seeking ahead of it is undone.
        visitor.goto(f"{room}?at={_iso(start + timedelta(seconds=90))}")
        assert 90 <= visitor.evaluate("window.evergreenRoom.livePosition()") < 95
        expect(visitor.locator(".room-offer")).to_be_visible()

        visitor.get_by_role("link", name="Get the course").click()
        visitor.wait_for_url("https://shop.example/course**")
        expect(visitor.locator("h1")).to_have_text("The shop")

        closed = start + timedelta(minutes=10, hours=48, seconds=1)
        visitor.goto(f"{room}?at={_iso(closed)}")
        expect(visitor.locator("#room-closed")).to_be_visible()
        assert visitor.locator("#room-video").count() == 0
        _shoot(visitor, "closed")
        assert errors == []
    finally:
        server.close()


def test_the_owner_uploads_the_recording_and_adds_offers_and_questions_on_the_page(
    tmp_path: Path, page: object
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    video = tmp_path / "talk.webm"
    video.write_bytes(record(page))
    server = serve_here(tmp_path / "data")
    try:
        server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)
        server.cli("webinars", "add", "demo", "--duration-minutes", "10", "--schedule", "jit:15",
                   "--timezone", "viewer", "--slug", "demo")  # fmt: skip
        page.goto(server.url + "/login")
        page.get_by_label("Email").fill("me@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/$"))
        page.goto(server.url + "/webinars/1")
        expect(page.locator("#room-label-shown")).to_have_text(
            "Recorded presentation, played at your session time"
        )
        page.get_by_label(re.compile("^Upload a recording")).set_input_files(str(video))
        page.get_by_role("button", name="Upload recording").click()
        expect(page.get_by_role("status")).to_have_text("Recording saved.")
        expect(page.locator("#recording-now")).to_contain_text("video/webm")
        played = page.request.get(server.url + "/webinars/1/video", headers={"Range": "bytes=0-3"})
        assert played.status == 206
        assert played.body() == video.read_bytes()[:4]

        form = page.locator("#offer-form")
        form.get_by_label(re.compile("^At second")).fill("600")
        form.get_by_label("Title").fill("The Course")
        form.get_by_label("Destination URL").fill("https://shop.example/course")
        form.get_by_role("button", name="Add offer").click()
        expect(page.get_by_role("alert")).to_contain_text("at second: must be from 0 to 599")
        form = page.locator("#offer-form")
        form.get_by_label(re.compile("^At second")).fill("300")
        form.get_by_label("Title").fill("The Course")
        form.get_by_label("Destination URL").fill("https://shop.example/course")
        form.get_by_label(re.compile("^Deadline minutes")).fill("15")
        form.get_by_role("button", name="Add offer").click()
        expect(page.get_by_role("status")).to_have_text("Offer added.")
        expect(page.locator("#offer-list")).to_contain_text("The Course")
        expect(page.locator("#offer-list")).to_contain_text("15 min")

        chat = page.locator("#chat-form")
        chat.get_by_label(re.compile("^At second")).fill("60")
        chat.get_by_label(re.compile("^Asked on")).fill(
            (date.today() - timedelta(days=3)).isoformat()
        )
        chat.get_by_label("Question").fill("Does it work in Europe?")
        chat.get_by_role("button", name="Add question").click()
        expect(page.get_by_role("status")).to_have_text("Question added to the chat script.")
        expect(page.locator("#chat-list")).to_contain_text("Does it work in Europe?")
        _shoot(page, "owner-content")

        page.locator("#offer-list").get_by_role("button", name="Remove…").click()
        expect(page.get_by_role("heading", name="Remove this offer from the room?")).to_be_visible()
        page.get_by_role("button", name="Remove offer").click()
        expect(page.get_by_role("status")).to_have_text("Offer removed.")
        assert page.locator("#offer-list").count() == 0
    finally:
        server.close()
