"""A webinar with known outcomes, beats, an offer link, a click and a sale (shared by the HTTP
and browser tests of the analytics page)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from evergreen.db import Database, utcnow
from evergreen.links import service as links
from evergreen.links.clicks.ingest import ClickPolicy, ingest_records
from evergreen.links.drafts import LinkDraft
from evergreen.partners import service as partners
from evergreen.partners.rules import EventType
from evergreen.partners.service.conversions import ConversionIn, record_conversion
from evergreen.webinars.beats import Beat, BeatReader, BeatSpool, ingest_pending
from tests.webinars.beats_helpers import a_webinar, registrants

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"


def analysed_webinar(db: Database, folder: Path) -> int:
    """20 minutes; from yt: one stayed, one left at minute 6, one missed; from blog: one
        missed; one more registered for a session still ahead. One offer click (from the room of the
    yt registrant who stayed) made one sale."""
    webinar = a_webinar(db, minutes=20)
    start = utcnow() - timedelta(hours=1)
    stayed, left, _missed = registrants(db, webinar, start, count=3, channel="yt")
    registrants(db, webinar, start, channel="blog")
    registrants(db, webinar, utcnow() + timedelta(hours=1))
    at = start.timestamp()
    spool = BeatSpool(folder)
    spool.append([Beat(stayed, s, at + s, True) for s in range(0, 1200, 5)])
    spool.append([Beat(left, s, at + s, True) for s in range(0, 360, 5)])
    spool.close()
    ingest_pending(db, BeatReader(folder))
    with db.session() as session:
        draft = LinkDraft(
            destination="https://shop.example/course", slug="masterclass-offer",
            channel="webinar", campaign=f"webinar-{webinar}",
        )  # fmt: skip
        links.create_link(session, draft)
        link = links.get_link(session, "masterclass-offer")
        click = {
            "id": "w" * 32,
            "l": link.id,
            "t": utcnow().timestamp(),
            "v": "v1",
            "ua": UA,
            "q": {"sub1": f"webinar-{webinar}", "sub3": f"r{stayed}"},
        }  # from their room
        assert ingest_records(session, [click], ClickPolicy()) == 1
        program = partners.default_program(session)
        sale = ConversionIn(
            idempotency_key="order-1", event=EventType.SALE, amount=Decimal("49.00"),
            currency=program.currency, customer_id="cus_1", occurred_at=utcnow(),
            order_id="order-1", click_id="w" * 32,
        )  # fmt: skip
        record_conversion(session, program, sale, actor="test")
    return webinar
