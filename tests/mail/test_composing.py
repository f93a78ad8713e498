"""The sender's composer takes the prepared path (each person filled into a broadcast prepared
once) and makes byte for byte the message of the full per-person render and `build_message`,
tracked links, footer, unsubscribe headers, VERP and Message-ID included, on SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from evergreen.audience import queries as audience_queries
from evergreen.audience import service as audience
from evergreen.audience.rules import Source
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.mail import service
from evergreen.mail.rules.message import Outgoing, build_message
from evergreen.mail.rules.prepared import PreparedMessage
from evergreen.mail.rules.render import Personal, Rendered, RewriteLink
from evergreen.mail.service.composing import Composer

SECRET = "test-secret-for-the-composer-0123456789"
_BOUNDARY = re.compile(rb"===============\d+==(?:\.\d+)?")
BODY = """# Hello {{ subscriber.name }}

Three links: [one](https://example.org/a), [two](https://example.org/b?x=1) and
https://example.org/c, for readers in {{ subscriber.fields.city }}.
"""


class _FullRender(PreparedMessage):
    """What the composer did before: every person rendered from scratch."""

    def render(self, person: Personal, *, rewrite_link: RewriteLink | None = None) -> Rendered:
        return self.template.render(person, rewrite_link=rewrite_link, footer=self.footer)


class _BuildMessage:
    def __init__(self, outbox: service.Outbox) -> None:
        self.sender = outbox.sender

    def write(self, **options: Any) -> Outgoing:
        return build_message(sender=self.sender, **options)


def test_the_prepared_path_makes_the_full_renders_bytes(tmp_path: Path, db: Database) -> None:
    settings = Settings(
        env="test", data_dir=tmp_path / "data", smtp_host="127.0.0.1", smtp_starttls=False,
        mail_from="News <news@example.com>", mail_postal_address="1 Main St\nSpringfield",
    )  # fmt: skip
    outbox = service.outbox_from_settings(settings, SECRET, "http://127.0.0.1:8000")
    people = [("ann@example.com", "Ann", "Berlin"), ("bob@example.com", "Bob Smith", "Porto")]
    with db.session() as session:
        list_id = audience.create_list(session, "News", double_opt_in=False).id
        ids = [
            audience.subscribe(session, SECRET, email, list_id, audience.Consent(Source.API),
                               name=name, fields={"city": city}).subscriber.id
            for email, name, city in people
        ]  # fmt: skip
        draft = service.Draft("{{ subscriber.name }}, this week", BODY, list_id)
        broadcast = service.create_broadcast(session, draft)
    now = utcnow()
    with db.session() as session:
        members = audience_queries.recipients(session, list_id, ids)
        fast = Composer(outbox)
        plan = fast.plan(session, broadcast, "News")
        assert plan.template.fast  # the prepared path is the one taken
        slow = Composer(outbox)
        slow._writer = _BuildMessage(outbox)  # type: ignore[assignment]
        slow_plan = slow.plan(session, broadcast, "News")
        slow_plan.template = _FullRender(slow_plan.template.template, outbox.footer)
        for person in members.values():
            _, made = fast.compose(session, plan, person, now)
            _, expected = slow.compose(session, slow_plan, person, now)
            assert _BOUNDARY.sub(b"B", made) == _BOUNDARY.sub(b"B", expected)
            assert person.name.encode() in made
            assert made.count(b"/go/") >= 3  # every link tracked
