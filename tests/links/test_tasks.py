"""The nightly health job checks real destinations and is registered with the queue."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.jobs import build_queue
from evergreen.links import service
from evergreen.links.drafts import LinkDraft
from evergreen.links.tasks import run_health_check


class _Handler(BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:
        self.send_response(200 if self.path == "/ok" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def origin() -> Iterator[str]:
    """A local web server: /ok answers 200, anything else 404."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_health_job_flags_broken_destinations(db: Database, origin: str) -> None:
    with db.session() as session:
        service.create_link(session, LinkDraft(destination=f"{origin}/ok", slug="fine"))
        service.create_link(session, LinkDraft(destination=f"{origin}/gone", slug="dead"))
        service.create_link(
            session, LinkDraft(destination=f"{origin}/gone", slug="off", disabled=True)
        )
    assert run_health_check(db, "127.0.0.1") == {"ok": 1, "broken": 1}
    with db.session() as session:
        assert service.get_link(session, "fine").health == "ok"
        dead = service.get_link(session, "dead")
        assert dead.health == "broken"
        assert "404" in dead.health_detail
        assert service.get_link(session, "off").health == "unchecked"


def test_health_job_is_scheduled_nightly(tmp_path: Path) -> None:
    from datetime import datetime

    huey = build_queue(Settings(data_dir=tmp_path))
    due_at_night = {task.name for task in huey.read_periodic(datetime(2026, 11, 25, 4, 17))}
    due_at_noon = {task.name for task in huey.read_periodic(datetime(2026, 11, 25, 12, 0))}
    assert "check_link_health" in due_at_night
    assert "check_link_health" not in due_at_noon
    hourly = {task.name for task in huey.read_periodic(datetime(2026, 11, 25, 12, 7))}
    assert "approve_held_commissions" in hourly
    assert "deliver_webhooks" in hourly
