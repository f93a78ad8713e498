"""64 callers at once on the mail routes not covered by test_hooks_http.py (SES, Postmark and
Mailgun at once) and test_recipients_http.py (one-click unsubscribe at once): SendGrid's event
webhook and the open pixel, on a real server over SQLite and PostgreSQL. Half of the calls are
one request repeated, half distinct: never a 5xx (a 503 with Retry-After is sent again, as the
provider or the mail client would), each event and each first open stored exactly once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from evergreen.audience import queries as audience_queries
from evergreen.audience.models import Activity
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.mail import queries
from evergreen.mail.models import MailBounce
from evergreen.mail.rules import recipient_tokens
from evergreen.mail.rules.recipient_tokens import RecipientToken
from tests.conftest import TEST_SECRET
from tests.live_server import Call
from tests.mail.test_broadcasts import _people
from tests.mail.test_hooks_http import _at_once, _sendgrid
from tests.mail.test_recipients_http import _send_all

pytestmark = pytest.mark.both_databases

N = 64


def _count(db: Database, column: object, *where: object) -> int:
    with db.session(writer=False) as session:
        found = select(func.count(column))  # type: ignore[arg-type]
        return int(session.scalar(found.where(*where)) or 0)  # type: ignore[arg-type]


def _bounce(email: str, event_id: str) -> dict[str, Any]:
    return {
        "email": email, "event": "bounce", "type": "bounce", "status": "5.1.1",
        "reason": "550 5.1.1 does not exist", "sg_event_id": event_id, "timestamp": 1,
    }  # fmt: skip


def test_64_sendgrid_posts_at_once_apply_each_event_once(settings: Settings, db: Database) -> None:
    emails = ["same@example.com", *(f"p{i}@example.com" for i in range(0, N, 2))]
    _people(db, emails)
    same_body, same_headers = _sendgrid([_bounce("same@example.com", "same-1")])
    calls = []
    for i in range(N):
        if i % 2:  # SendGrid delivering one batch again and again
            body, headers = same_body, same_headers
        else:
            body, headers = _sendgrid([_bounce(f"p{i}@example.com", f"own-{i}")])
        calls.append(Call("POST", "/mail/hooks/sendgrid", content=body.decode(), headers=headers))
    responses = _at_once(settings, db, calls)
    assert sum(r.json()["applied"] for r in responses) == N // 2 + 1
    assert sum(r.json()["duplicates"] for r in responses) == N // 2 - 1
    assert _count(db, MailBounce.id) == N // 2 + 1
    with db.session(writer=False) as session:
        cards = [audience_queries.find_by_email(session, email) for email in emails]
    assert [card.suppressed if card else None for card in cards] == ["bounced"] * len(emails)


def test_64_opens_at_once_note_each_first_open_once(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    emails = [f"p{i:02d}@example.com" for i in range(N // 2 + 1)]
    broadcast_id, list_id, _messages = _send_all(db, tmp_path, emails)
    with db.session(writer=False) as session:
        ids = [audience_queries.find_by_email(session, e).id for e in emails]  # type: ignore[union-attr]
    paths = [
        "/mail/o/"
        + recipient_tokens.encode(TEST_SECRET, RecipientToken("o", broadcast_id, sid, list_id))
        + ".gif"
        for sid in ids
    ]
    person = {"User-Agent": "Mozilla/5.0 (Macintosh) Thunderbird/115"}
    calls = [Call("GET", path, headers=person) for path in [paths[0]] * (N // 2) + paths[1:]]
    responses = _at_once(settings, db, calls)
    assert {r.headers["content-type"] for r in responses} == {"image/gif"}
    with db.session(writer=False) as session:
        stats = queries.stats(session, broadcast_id)
        rows = session.execute(
            select(Activity.subscriber_id, Activity.ref).where(Activity.kind == "opened")
        ).all()
    assert (stats.sent, stats.opened, stats.opened_proxy) == (len(emails), len(emails), 0)
    assert Counter((row[0], row[1]) for row in rows) == {
        (sid, f"broadcast:{broadcast_id}"): 1 for sid in ids
    }
