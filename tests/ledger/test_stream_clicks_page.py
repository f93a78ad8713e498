"""A stream's page shows the clicks of its links (non-money facts, from the links' rollups
through ledger.facts) beside its income: human clicks, requests with bots, income per click
and per 1,000 clicks for the period and month by month (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient

from evergreen.db import Database
from evergreen.ledger import service as ledger
from evergreen.ledger.rules import StreamKind
from evergreen.links import service as links
from evergreen.links.clicks.ingest import ClickPolicy, ingest_records
from evergreen.links.drafts import LinkDraft
from tests.http_helpers import sign_in

D = Decimal
HUMAN = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
BOT = "Googlebot/2.1 (+http://www.google.com/bot.html)"
MARCH = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _clicks(db: Database, slug: str, days: list[int], agent: str) -> None:
    with db.session() as session:
        link = links.get_link(session, slug)
        records = [
            {"id": f"{slug[:4]}{n:02d}{'b' if agent == BOT else 'h'}".ljust(32, "0"),
             "l": link.id, "t": (MARCH + timedelta(days=d)).timestamp(), "v": f"v{n}",
             "ua": agent, "q": {}}
            for n, d in enumerate(days)
        ]  # fmt: skip
        assert ingest_records(session, records, ClickPolicy()) == len(records)


def _seed(db: Database) -> tuple[int, int]:
    """A blog whose link has 4 human clicks and a bot's in March and 1 in April, 30 of income
    in March and none in April; a course with no links."""
    with db.session() as session:
        ledger.set_preferences(session, hourly_rate=D(40), required_return=D("0.1"))
        blog = ledger.add_stream(session, ledger.StreamDraft("Blog", StreamKind.ARTICLES),
                                 date(2026, 1, 1))  # fmt: skip
        course = ledger.add_stream(session, ledger.StreamDraft("Course", StreamKind.OTHER),
                                   date(2026, 1, 1))  # fmt: skip
        links.create_link(session, LinkDraft(destination="https://shop.example/", slug="desk",
                                             stream_id=blog.id))  # fmt: skip
        ledger.add_income(session, blog, date(2026, 3, 20), D(30))
        ids = blog.id, course.id
    _clicks(db, "desk", [0, 0, 1, 2, 25], HUMAN)
    _clicks(db, "desk", [0], BOT)
    return ids


def _figure(page: str, name: str) -> tuple[str, str]:
    found = re.search(rf'id="{name}"><span class="label">[^<]+</span><span class="number">'
                      r'([^<]+)</span><span class="hint">([^<]+)</span>', page)  # fmt: skip
    assert found, f"no figure {name}"
    return found.group(1), found.group(2)


def test_the_stream_page_shows_clicks_and_income_per_click(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    blog, course = _seed(db)
    sign_in(client, people["staff"])
    page = client.get(f"/ledger/streams/{blog}?from=2026-03-01&to=2026-03-31").text
    assert _figure(page, "figure-clicks") == ("4", "5 requests, bots included")
    assert _figure(page, "figure-epc") == ("7.50", "7,500.00 per 1,000 clicks")
    history = page[page.index('id="history-table"') :]
    months = re.findall(r'<a href="[^"]*">(\d{4}-\d{2})</a>.*?class="num month-clicks">([^<]+)'
                        r'</td><td class="num month-epm">([^<]+)</td>', history, re.S)  # fmt: skip
    assert ("2026-03", "4", "7,500.00") in months
    assert ("2026-02", "0", "—") in months
    april = client.get(f"/ledger/streams/{blog}?from=2026-04-01&to=2026-04-30").text
    assert _figure(april, "figure-clicks") == ("1", "1 request, bots included")
    assert _figure(april, "figure-epc") == ("0.00", "0.00 per 1,000 clicks")
    # A stream without links shows no click figures at all (nothing to count).
    other = client.get(f"/ledger/streams/{course}?from=2026-03-01&to=2026-03-31").text
    assert 'id="figure-clicks"' not in other
    assert "month-clicks" not in other
