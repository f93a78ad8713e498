"""Bulk lookups for a batch of conversions: stored keys, clicks with their link owners, coupons,
partners and terms, each with one query per chunk of values."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from evergreen.links import queries as link_queries
from evergreen.partners.models import Conversion, Coupon, Partner, PartnerLink, Program
from evergreen.partners.rules import ClickSeen, ConversionIn, Facts, PartnerFacts
from evergreen.partners.service.commissioning import partner_facts, terms_offers

__all__ = ["Loaded", "chunks", "pairs", "stored_conversions"]

_CHUNK = 900  # values per IN (...) list: under SQLite's oldest limit of 999 bound parameters


def chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    """Distinct values, a bounded list at a time (one IN (...) query each)."""
    items = list(dict.fromkeys(values))
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class Loaded:
    """Clicks, coupons, partners and terms of a batch, each loaded with one query per chunk."""

    def __init__(
        self,
        session: Session,
        program: Program,
        events: list[ConversionIn],
        spooled: link_queries.SpooledClicks | None = None,
    ) -> None:
        self.clicks = _clicks(session, (e.click_id for e in events if e.click_id), spooled)
        codes = (e.coupon.strip().upper() for e in events if e.coupon)
        self.coupons: dict[str, int] = dict(
            pairs(session, Coupon.code, Coupon.partner_id, Coupon.code, codes)
        )
        self.offers = terms_offers(session, program)
        self.partners: dict[int, PartnerFacts] = {}

    def load_partners(self, session: Session, bound: Iterable[int | None]) -> None:
        """Every partner an event may earn for: link and coupon owners, and bound partners."""
        ids = {c.owner for c in self.clicks.values()} | set(self.coupons.values()) | set(bound)
        for chunk in chunks(i for i in ids if i is not None):
            rows = session.scalars(select(Partner).where(Partner.id.in_(chunk)))
            self.partners.update(partner_facts(rows))

    def facts(self, data: ConversionIn) -> Facts:
        """What one event of the batch may be decided on."""
        click = self.clicks.get(data.click_id) if data.click_id else None
        code = data.coupon.strip().upper()
        coupon_owner = self.coupons.get(code) if code else None
        return Facts(click, coupon_owner, self.partners, self.offers)


def pairs(
    session: Session,
    key: QueryableAttribute[Any],
    value: QueryableAttribute[Any],
    column: QueryableAttribute[Any],
    wanted: Iterable[Any],
    *where: ColumnElement[bool],
) -> Iterator[tuple[Any, Any]]:
    """(key, value) of every row whose `column` is one of `wanted`, a chunk per query."""
    for chunk in chunks(wanted):
        yield from session.execute(select(key, value).where(column.in_(chunk), *where))


def _clicks(
    session: Session, click_ids: Iterable[str], spooled: link_queries.SpooledClicks | None
) -> dict[str, ClickSeen]:
    """The clicks behind the batch's click IDs (stored or still spooled), with the partner who
    owns each one's link."""
    found = link_queries.click_facts(session, click_ids, spooled)
    owners: dict[int, int] = dict(
        pairs(
            session, PartnerLink.link_id, PartnerLink.partner_id, PartnerLink.link_id,
            (fact.link_id for fact in found.values()),
        )
    )  # fmt: skip
    return {
        click_id: ClickSeen(click_id, fact.at, fact.visitor, fact.klass, owners.get(fact.link_id))
        for click_id, fact in found.items()
    }


def stored_conversions(
    session: Session, program: Program, keys: Iterable[str]
) -> dict[str, Conversion]:
    """Conversions already stored under any of the keys."""
    stored: dict[str, Conversion] = {}
    for chunk in chunks(keys):
        query = select(Conversion).where(
            Conversion.program_id == program.id, Conversion.idempotency_key.in_(chunk)
        )
        stored.update((row.idempotency_key, row) for row in session.scalars(query))
    return stored
