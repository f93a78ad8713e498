"""Queueing a broadcast: one send row per subscribed member, INSERT … SELECT in chunks.

    python benchmarks/broadcast_queue.py [N] [database URL]

Prints the seconds to queue N members (default 100,000) on a fresh SQLite file (or the URL
given), and the seconds to queue again (idempotent: adds nobody). The issue's goal: 1,000,000
in under 60 s.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from evergreen import migrate
from evergreen.audience import service as audience
from evergreen.db import Database, utcnow
from evergreen.mail import service


def main() -> None:
    """Seed N members, queue a broadcast to them twice, print the times."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{Path(tempfile.mkdtemp()) / 'q.db'}"
    migrate.upgrade(url)
    db = Database(url)
    with db.session() as session:
        list_id = audience.create_list(session, "Bench", double_opt_in=False).id
        now = utcnow()
        session.execute(
            text(
                "INSERT INTO subscribers (id, email, email_key, name, fields, source, "
                "soft_bounces, created_at, updated_at) VALUES (:i, :e, :e, '', '{}', 'import', "
                "0, :now, :now)"
            ),
            [{"i": i, "e": f"p{i}@example.com", "now": now} for i in range(1, count + 1)],
        )
        session.execute(
            text(
                "INSERT INTO list_members (subscriber_id, list_id, status, created_at, "
                "updated_at) VALUES (:i, :l, 'subscribed', :now, :now)"
            ),
            [{"i": i, "l": list_id, "now": now} for i in range(1, count + 1)],
        )
        broadcast_id = service.create_broadcast(session, service.Draft("Hello", "Body", list_id)).id
    for label in ("queue", "queue again"):
        started = time.perf_counter()
        with db.session() as session:
            row = service.get_broadcast(session, broadcast_id)
            rows = service.queue(session, row, utcnow())
        print(f"{label}: {rows:,} rows in {time.perf_counter() - started:.2f} s")
    db.dispose()


if __name__ == "__main__":
    main()
