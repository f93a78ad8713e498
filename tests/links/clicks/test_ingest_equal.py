"""What the ingester stores does not move when its hot path is reshaped: every column of every
click and every rollup of a random mix, ingested in uneven passes, hashed and compared with the
digest the ingester of 2026-12-06 (before the columnar trims) produced (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from evergreen.db import Database
from evergreen.links import service
from evergreen.links.clicks.ingest import ClickPolicy, ingest_pending
from evergreen.links.clicks.rollups import SUB_DIMENSIONS
from evergreen.links.clicks.spool import ClickSpool, SpoolReader
from evergreen.links.drafts import LinkDraft
from evergreen.links.models import Click, ClickRollup, HumanAgent

AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "curl/8.5.0",  # the owner marks it human below
    "A" * 600,  # clipped to 512
    "",
]
# The digest of the stored clicks and rollups of `_records(4 links, 2400)` as the ingester
# before the 2026-12-06 trims stored them. Change it only with a change meant to alter storage.
DIGEST = "f16ec232d5a64b0a816406b1e6e3e683a099ead94a63feb481ea947053070faf"


def _records(link_ids: list[int], count: int) -> list[dict[str, Any]]:
    """Days across midnight, unique and repeat visitors, a flooding visitor (a click every
    half-second), bots, previews, HEADs, prefetches, internal clicks, blank, odd and long fields,
    sub-IDs present, empty, long, numeric or absent, a non-dict `q`, replays of earlier IDs."""
    rng = random.Random(20261206)
    start = datetime(2026, 12, 31, 23, 45, tzinfo=UTC).timestamp()
    records: list[dict[str, Any]] = []
    for i in range(count):
        flooder = i % 5 == 0 or 400 <= i < 520  # a burst of 120 a minute in the middle
        names = rng.sample([*SUB_DIMENSIONS, "other"], rng.randrange(4))
        sub: Any = {name: rng.choice(["", "x" * 300, f"v{rng.randrange(3)}", 7]) for name in names}
        if rng.random() < 0.02:
            sub = rng.choice([None, "text", [1, 2]])
        record: dict[str, Any] = {
            "id": f"{i + 1:032x}", "l": link_ids[0] if flooder else rng.choice(link_ids),
            "t": start + i * 0.5 + rng.random() * 0.001,
            "m": rng.choice(["GET"] * 8 + ["HEAD", "POSTXXXXXXX"]),
            "v": "flooder" if flooder else f"v{rng.randrange(60)}" + "z" * rng.choice([0, 40]),
            "ua": AGENTS[0] if flooder else rng.choice(AGENTS),
            "r": rng.choice(["", "https://www.blog.example/a", "x", "http://[bad", "r" * 600]),
            "c": rng.choice(["", "US", "DE", "GBR"]), "p": rng.choice([""] * 9 + ["prefetch"]),
            "i": rng.random() < 0.05, "q": sub,
            "d": rng.choice(["https://shop.example/", "d" * 3000]),
        }  # fmt: skip
        for name in ("m", "r", "c", "p", "ua", "d", "v"):
            if rng.random() < 0.01:
                del record[name]  # an older spool line without the field
        records.append(record)
    return records


def _normal(value: Any) -> Any:
    """One form for both databases: aware datetimes as naive UTC, dates and the rest as they are."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).replace(tzinfo=None).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return sorted(value.items())
    return value


def _stored(db: Database) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with db.session() as session:
        clicks = session.execute(
            select(
                Click.click_id, Click.link_id, Click.at, Click.method, Click.visitor,
                Click.user_agent, Click.referrer, Click.referrer_host, Click.country,
                Click.device, Click.os, Click.browser, Click.sub, Click.klass, Click.reason,
                Click.is_unique, Click.destination,
            ).order_by(Click.id)
        )  # fmt: skip
        rollups = session.execute(
            select(
                ClickRollup.link_id, ClickRollup.day, ClickRollup.dimension, ClickRollup.value,
                ClickRollup.total, ClickRollup.human, ClickRollup.unique,
            )
        )  # fmt: skip
        return (
            [tuple(_normal(v) for v in row) for row in clicks],
            sorted(tuple(_normal(v) for v in row) for row in rollups),
        )


def test_stored_clicks_and_rollups_are_those_of_the_earlier_ingester(
    db: Database, tmp_path: Path
) -> None:
    with db.session() as session:
        link_ids = [
            service.create_link(
                session, LinkDraft(destination="https://shop.example/", slug=f"same{i}")
            ).link.id
            for i in range(4)
        ]
        session.add(HumanAgent(user_agent="curl/8.5.0"))
    records = _records(link_ids, 2400)
    policy = ClickPolicy()
    memory = policy.memory()
    stored = 0
    for number, (begin, end) in enumerate([(0, 900), (900, 2300), (2300, 2400)]):
        spool = ClickSpool(tmp_path / f"spool{number}")
        for record in records[begin:end]:
            spool.append(record)
        if number == 2:  # a replay of clicks stored by the first pass: absorbed
            for record in records[100:130]:
                spool.append(record)
        spool.close()
        stored += ingest_pending(
            db, SpoolReader(tmp_path / f"spool{number}"), policy, batch=500, memory=memory
        )
    assert stored == 2400
    clicks, rollups = _stored(db)
    assert len(clicks) == 2400
    assert {row[13] for row in clicks} >= {"human", "bot", "preview", "flood", "head"}
    digest = hashlib.sha256(repr((clicks, rollups)).encode()).hexdigest()
    assert digest == DIGEST, digest
