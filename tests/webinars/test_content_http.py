"""A webinar's content over HTTP, on SQLite and PostgreSQL: the recording uploaded through the
API (raw body) and the page (multipart), refused when it is not mp4/webm or over 100 MB, its
preview answering range requests; a URL instead; offers (their buttons tracking links of the
links area) and the dated chat script added, listed and removed through the API and the page
(removal after a confirmation); bad input 4xx naming the field, never 500."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.links.models import Link
from evergreen.webinars.models import WebinarChatLine, WebinarOffer
from tests.http_helpers import csrf_from, sign_in, token_for

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256)) * 8
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + bytes(200)
BODY = {"name": "demo", "duration_minutes": 10, "schedule": "jit:15", "timezone": "viewer"}
# Each upload has a name of its own: the file it replaces stays whole until that is committed.
_RECORDING = re.compile(r"webinars/1/recording-[0-9a-f]{16}\.(mp4|webm)")


def _stored(settings: Settings) -> Path:
    """Webinar 1's one uploaded recording in the data folder (an older one would fail this)."""
    (only,) = (settings.data_dir / "webinars" / "1").glob("recording-*")
    return only


def _owner(client: TestClient, db: Database, people: dict[str, str]) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    assert client.post("/api/v1/webinars", json=BODY, headers=headers).status_code == 201
    return headers


def test_the_api_uploads_the_recording_and_the_preview_answers_ranges(
    client: TestClient, db: Database, people: dict[str, str], settings: Settings
) -> None:
    owner = _owner(client, db, people)
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    put = client.put("/api/v1/webinars/1/video", content=MP4, headers=owner)
    assert put.status_code == 200, put.text
    card = put.json()
    assert _RECORDING.fullmatch(card["video_file"]), card["video_file"]
    assert (card["video_type"], card["video_bytes"], card["video_url"]) == (
        "video/mp4", len(MP4), None,
    )  # fmt: skip
    mp4 = settings.data_dir / card["video_file"]
    assert mp4.name.endswith(".mp4")
    assert mp4.read_bytes() == MP4
    assert client.put("/api/v1/webinars/1/video", content=MP4, headers=staff).status_code == 403
    sign_in(client, people["staff"])
    part = client.get("/webinars/1/video", headers={"Range": "bytes=100-163"})
    assert part.status_code == 206
    assert part.content == MP4[100:164]
    webm = client.put("/api/v1/webinars/1/video", content=WEBM, headers=owner)
    assert webm.json()["video_type"] == "video/webm"
    assert not mp4.exists()  # replaced
    webm_file = settings.data_dir / webm.json()["video_file"]
    assert webm_file.read_bytes() == WEBM
    url = client.put(
        "/api/v1/webinars/1/video-url", json={"url": "https://cdn.example/demo.mp4"}, headers=owner
    )
    assert (url.json()["video_url"], url.json()["video_file"]) == (
        "https://cdn.example/demo.mp4", None,
    )  # fmt: skip
    assert not webm_file.exists()
    assert client.put("/api/v1/webinars/1/video", content=MP4, headers=owner).status_code == 200
    offer = {"at_second": 5, "title": "T", "url": "https://shop.example/t"}
    assert client.post("/api/v1/webinars/1/offers", json=offer, headers=owner).status_code == 201
    line = {"at_second": 5, "question": "Q?", "asked_on": "2026-01-02"}
    assert client.post("/api/v1/webinars/1/chat", json=line, headers=owner).status_code == 201
    assert client.delete("/api/v1/webinars/1", headers=owner).status_code == 204
    assert not (settings.data_dir / "webinars" / "1").exists()  # the upload went with it
    with db.session(writer=False) as session:
        assert session.scalars(select(WebinarOffer)).all() == []
        assert session.scalars(select(WebinarChatLine)).all() == []


def test_a_bad_recording_is_refused_with_a_reason(
    client: TestClient, db: Database, people: dict[str, str], settings: Settings
) -> None:
    owner = _owner(client, db, people)
    pdf = client.put("/api/v1/webinars/1/video", content=b"%PDF-1.7" + bytes(100), headers=owner)
    assert pdf.status_code == 422
    assert "mp4 or webm" in pdf.text
    empty = client.put("/api/v1/webinars/1/video", content=b"", headers=owner)
    assert empty.status_code == 422
    huge = client.put(
        "/api/v1/webinars/1/video", content=MP4 + bytes(100 * 1024 * 1024), headers=owner
    )
    assert huge.status_code == 413
    assert "100 MB" in huge.text
    for bad in ("ftp://cdn.example/x.mp4", "javascript:alert(1)", ""):
        refused = client.put("/api/v1/webinars/1/video-url", json={"url": bad}, headers=owner)
        assert refused.status_code == 422, bad
    assert client.put("/api/v1/webinars/9/video", content=MP4, headers=owner).status_code == 404
    assert not list((settings.data_dir / "webinars" / "1").glob("*"))


def test_offers_and_chat_through_the_api(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = _owner(client, db, people)
    offer = {"at_second": 300, "title": "The Course", "url": "https://shop.example/c",
             "button": "Buy", "deadline_minutes": 15}  # fmt: skip
    made = client.post("/api/v1/webinars/1/offers", json=offer, headers=owner)
    assert made.status_code == 201, made.text
    assert made.json()["link_slug"]
    with db.session(writer=False) as session:
        link = session.scalar(select(Link).where(Link.slug == made.json()["link_slug"]))
        assert link is not None
        assert (link.destination, link.channel, link.campaign) == (
            "https://shop.example/c", "webinar", "webinar-1",
        )  # fmt: skip
    listed = client.get("/api/v1/webinars/1/offers", headers=owner).json()
    assert [(o["at_second"], o["deadline_minutes"]) for o in listed] == [(300, 15)]
    for bad in ({"at_second": -1}, {"at_second": 600}, {"url": "nope"}, {"title": " "},
                {"deadline_minutes": 0}):  # fmt: skip
        refused = client.post("/api/v1/webinars/1/offers", json={**offer, **bad}, headers=owner)
        assert refused.status_code == 422, bad
    assert client.post("/api/v1/webinars/7/offers", json=offer, headers=owner).status_code == 404
    line = {"at_second": 60, "question": "Does it work in Europe?", "asked_on": "2026-11-02"}
    added = client.post("/api/v1/webinars/1/chat", json=line, headers=owner)
    assert added.status_code == 201
    assert added.json()["asked_on"] == "2026-11-02"
    for bad in ({"asked_on": "2999-01-01"}, {"asked_on": "soon"}, {"at_second": 601},
                {"question": ""}):  # fmt: skip
        refused = client.post("/api/v1/webinars/1/chat", json={**line, **bad}, headers=owner)
        assert refused.status_code == 422, bad
    assert len(client.get("/api/v1/webinars/1/chat", headers=owner).json()) == 1
    assert client.delete("/api/v1/webinars/1/offers/1", headers=owner).status_code == 204
    assert client.delete("/api/v1/webinars/1/offers/1", headers=owner).status_code == 404
    assert client.delete("/api/v1/webinars/1/chat/1", headers=owner).status_code == 204
    assert client.get("/api/v1/webinars/1/chat", headers=owner).json() == []


def test_the_page_adds_content_and_removes_it_after_a_confirmation(
    client: TestClient, db: Database, people: dict[str, str], settings: Settings
) -> None:
    _owner(client, db, people)
    sign_in(client, people["owner"])
    page = client.get("/webinars/1")
    assert 'id="offer-form"' in page.text
    assert 'id="chat-form"' in page.text
    assert "Recorded presentation, played at your session time" in page.text
    csrf = csrf_from(page.text)
    up = client.post(
        "/webinars/1/video",
        data={"csrf_token": csrf},
        files={"video": ("talk.webm", WEBM, "video/webm")},
        follow_redirects=False,
    )
    assert up.status_code == 303, up.text
    assert _stored(settings).read_bytes() == WEBM
    text = client.get("/webinars/1?done=video").text
    assert "Recording saved." in text
    assert "video/webm" in text
    wrong = client.post(
        "/webinars/1/video",
        data={"csrf_token": csrf},
        files={"video": ("notes.txt", b"hello world" * 20, "video/mp4")},
    )
    assert wrong.status_code == 400
    assert "mp4 or webm" in wrong.text
    offer = {"csrf_token": csrf, "at_second": "90", "title": "The Course",
             "url": "https://shop.example/c", "deadline_minutes": ""}  # fmt: skip
    assert client.post("/webinars/1/offers", data=offer, follow_redirects=False).status_code == 303
    text = client.get("/webinars/1").text
    assert "The Course" in text
    assert "Get the offer" in text
    assert "1:30" in text
    past = client.post("/webinars/1/offers", data={**offer, "at_second": "600"})
    assert past.status_code == 400
    assert "at second" in past.text
    letters = client.post("/webinars/1/offers", data={**offer, "deadline_minutes": "ten"})
    assert letters.status_code == 400
    line = {"csrf_token": csrf, "at_second": "30", "question": "Is there a replay?",
            "asked_on": "2026-10-01"}  # fmt: skip
    assert client.post("/webinars/1/chat", data=line, follow_redirects=False).status_code == 303
    assert "Is there a replay?" in client.get("/webinars/1").text
    ask = client.post("/webinars/1/offers/1/delete", data={"csrf_token": csrf})
    assert ask.status_code == 200
    assert "Remove this offer from the room?" in ask.text
    assert "The Course" in client.get("/webinars/1").text  # not yet
    done = client.post("/webinars/1/offers/1/delete", data={"csrf_token": csrf, "confirm": "yes"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert "Offer removed." in client.get("/webinars/1?done=offer-removed").text
    gone = client.post("/webinars/1/chat/1/delete", data={"csrf_token": csrf, "confirm": "yes"},
                       follow_redirects=False)  # fmt: skip
    assert gone.status_code == 303
    assert "Is there a replay?" not in client.get("/webinars/1").text
    url = client.post("/webinars/1/video-url", data={"csrf_token": csrf, "url": "ftp://x/y"})
    assert url.status_code == 400
    sign_in(client, people["staff"])
    staff = client.get("/webinars/1").text
    assert 'id="offer-form"' not in staff
    assert "Upload recording" not in staff


def test_a_recording_of_several_megabytes_is_taken_by_the_api_and_the_page(
    client: TestClient, db: Database, people: dict[str, str], settings: Settings
) -> None:
    """Larger than the server's default body limit (1 MiB): the routes declare their own."""
    owner = _owner(client, db, people)
    big = WEBM + bytes(3 * 1024 * 1024)
    put = client.put("/api/v1/webinars/1/video", content=big, headers=owner)
    assert put.status_code == 200, put.text
    assert _stored(settings).stat().st_size == len(big)
    sign_in(client, people["owner"])
    csrf = csrf_from(client.get("/webinars/1").text)
    bigger = MP4 + bytes(5 * 1024 * 1024)
    up = client.post("/webinars/1/video", data={"csrf_token": csrf},
                     files={"video": ("talk.mp4", bigger, "video/mp4")},
                     follow_redirects=False)  # fmt: skip
    assert up.status_code == 303, up.text
    assert _stored(settings).stat().st_size == len(bigger)  # the webm replaced
    assert _stored(settings).suffix == ".mp4"


def test_the_page_deletes_a_webinar_and_its_recording_after_a_confirmation(
    client: TestClient, db: Database, people: dict[str, str], settings: Settings
) -> None:
    owner = _owner(client, db, people)
    assert client.put("/api/v1/webinars/1/video", content=MP4, headers=owner).status_code == 200
    recording = _stored(settings)
    sign_in(client, people["owner"])
    csrf = csrf_from(client.get("/webinars/1").text)
    ask = client.post("/webinars/1/delete", data={"csrf_token": csrf})
    assert ask.status_code == 200
    assert recording.exists()  # asked, not done
    done = client.post("/webinars/1/delete", data={"csrf_token": csrf, "confirm": "yes"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert not recording.exists()
    assert not (settings.data_dir / "webinars" / "1").exists()
