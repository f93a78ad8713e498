"""Migration 0061 fills each broadcast's kept counts from its send log, so an upgraded
installation's pages and auto-pause read the right numbers without a command run by hand."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from evergreen import migrate
from evergreen.db import Database
from evergreen.mail import queries, service


def test_the_upgrade_counts_each_broadcasts_send_log(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url, "0060")
    db = Database(empty_database_url)
    now = datetime.now(UTC)
    statuses = ["sent"] * 5 + ["bounced"] * 2 + ["failed", "skipped", "queued", "deferred"]
    try:
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO subscribers (id, email, email_key, name, fields, source, "
                    "soft_bounces, created_at, updated_at) VALUES (:i, :e, :e, '', '{}', "
                    "'import', 0, :now, :now)"
                ),
                [{"i": i, "e": f"p{i}@example.com", "now": now} for i in range(1, 12)],
            )
            for number in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO mail_messages (id, kind, subject, body, format, segment, "
                        "status, queued, recipients, counts, pause_reason, created_at, "
                        "updated_at) VALUES (:m, 'broadcast', 'Hi', 'Body', 'markdown', '', "
                        "'sending', :q, :r, '{}', '', :now, :now)"
                    ),
                    {"m": number, "q": number == 1, "r": 11 if number == 1 else 0, "now": now},
                )
            conn.execute(
                text(
                    "INSERT INTO mail_sends (message_id, subscriber_id, status, attempts, "
                    "next_attempt_at, claimed_by, maybe_delivered, error, complained_at) "
                    "VALUES (1, :s, :status, 1, :now, '', :f, '', :c)"
                ),
                [
                    {"s": i + 1, "status": s, "now": now, "f": False, "c": now if i < 2 else None}
                    for i, s in enumerate(statuses)
                ],
            )
        migrate.upgrade(empty_database_url)
        with db.session() as session:
            card = queries.broadcast_card(session, 1)
            stats = queries.stats(session, 1)
            untouched = queries.broadcast_card(session, 2)
            recount = service.counts(session, 1)
        assert card is not None
        assert untouched is not None
        assert card.counts == {"sent": 5, "bounced": 2, "failed": 1, "skipped": 1, "waiting": 2}
        assert (stats.complaints, untouched.counts) == (2, {})
        assert sum(recount.values()) == 11
    finally:
        db.dispose()
