"""Bulk lookups for a batch of conversions: stored keys, clicks with their link owners, coupons,
partners and terms, each with one query per chunk of values."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from evergreen.links import queries as link_queries
from evergreen.partners.models import (
    Conversion,
    Coupon,
    Partner,
    PartnerLink,
    Program,
    TermsVersion,
)
from evergreen.partners.rules import Terms
from evergreen.partners.service.earning import (
    ClickSeen,
    ConversionIn,
    newest_terms,
)
from evergreen.partners.service.terms import terms_of

__all__ = ["Loaded", "chunks", "pairs", "stored_conversions"]

_CHUNK = 900  # values per IN (...) list: under SQLite's oldest limit of 999 bound parameters


def chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    """Distinct values, a bounded list at a time (one IN (...) query each)."""
    items = list(dict.fromkeys(values))
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class Loaded:
    """Clicks, coupons, partners and terms of a batch, each loaded with one query per chunk."""

    def __init__(self, session: Session, program: Program, events: list[ConversionIn]) -> None:
        self.session = session
        self.clicks = _clicks(session, (e.click_id for e in events if e.click_id))
        codes = (e.coupon.strip().upper() for e in events if e.coupon)
        self.coupons: dict[str, int] = dict(
            pairs(session, Coupon.code, Coupon.partner_id, Coupon.code, codes)
        )
        self.rows = list(
            session.scalars(select(TermsVersion).where(TermsVersion.program_id == program.id))
        )
        self._terms: dict[int, Terms | None] = {}
        self.partners: dict[int, Partner] = {}

    def load_partners(self, session: Session, bound: Iterable[int | None]) -> None:
        """Every partner an event may earn for: link and coupon owners, and bound partners."""
        ids = {c.owner for c in self.clicks.values()} | set(self.coupons.values()) | set(bound)
        for chunk in chunks(i for i in ids if i is not None):
            for partner in session.scalars(select(Partner).where(Partner.id.in_(chunk))):
                self.partners[partner.id] = partner

    def click(self, click_id: str) -> ClickSeen | None:
        return self.clicks.get(click_id)

    def coupon_owner(self, code: str) -> int | None:
        return self.coupons.get(code)

    def partner(self, partner_id: int) -> Partner | None:
        return self.partners.get(partner_id) or self.session.get(Partner, partner_id)

    def terms_in_force(self, group: str, at: datetime) -> int | None:
        row = newest_terms(self.rows, group, at)
        return row.id if row is not None else None

    def terms(self, terms_id: int) -> Terms | None:
        if terms_id not in self._terms:
            row = self.session.get(TermsVersion, terms_id)  # the identity map has them all
            self._terms[terms_id] = terms_of(row) if row is not None else None
        return self._terms[terms_id]


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


def _clicks(session: Session, click_ids: Iterable[str]) -> dict[str, ClickSeen]:
    """The clicks behind the batch's click IDs, with the partner who owns each one's link."""
    found = link_queries.click_facts(session, click_ids)
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
