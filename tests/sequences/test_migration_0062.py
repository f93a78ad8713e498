"""Migration 0062 points the messages of each stored sequence about one webinar at that
webinar, so an upgraded installation's reminders print its session, not the latest one."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import text

from evergreen import migrate
from evergreen.db import Database
from evergreen.mail.models import Broadcast


def test_the_upgrade_pins_each_sequences_messages_to_its_webinar(
    empty_database_url: str,
) -> None:
    migrate.upgrade(empty_database_url, "0061")
    db = Database(empty_database_url)
    now = datetime.now(UTC)
    wait = {"id": "s1", "kind": "wait_relative", "event": "webinar:masterclass",
            "offset_seconds": -900}  # fmt: skip
    sequences = {
        1: ({"kind": "webinar", "status": "registered", "webinar": "demo"}, [wait]),
        2: ({"kind": "api", "name": "signed"}, [wait]),
        3: ({"kind": "webinar", "status": "attended"}, []),
    }
    try:
        with db.engine.begin() as conn:
            for number, (trigger, steps) in sequences.items():
                conn.execute(
                    text(
                        "INSERT INTO mail_messages (id, kind, subject, body, format, segment, "
                        "status, queued, recipients, counts, pause_reason, created_at, "
                        "updated_at, sent_count, failed_count, bounced_count, skipped_count, "
                        "complaint_count) VALUES (:m, 'sequence', 'Hi', 'Body', 'markdown', '', "
                        "'sending', false, 0, '{}', '', :now, :now, 0, 0, 0, 0, 0)"
                    ),
                    {"m": number, "now": now},
                )
                conn.execute(
                    text(
                        "INSERT INTO sequences (id, name, trigger, program, status, created_at, "
                        "updated_at) VALUES (:i, :n, :t, :p, 'active', :now, :now)"
                    ),
                    {"i": number, "n": f"seq{number}", "t": json.dumps(trigger),
                     "p": json.dumps({"version": 1, "next_id": 2, "steps": steps, "moved": {}}),
                     "now": now},
                )  # fmt: skip
                conn.execute(
                    text(
                        "INSERT INTO sequence_messages (sequence_id, ref, message_id) "
                        "VALUES (:i, 'm', :i)"
                    ),
                    {"i": number},
                )
        migrate.upgrade(empty_database_url)
        with db.session() as session:
            pinned = {number: session.get(Broadcast, number).webinar for number in sequences}  # type: ignore[union-attr]
        assert pinned == {1: "demo", 2: "masterclass", 3: ""}
    finally:
        db.dispose()
