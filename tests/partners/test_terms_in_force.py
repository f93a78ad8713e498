"""Which terms version a new customer gets: the one in force (the latest started), one rule for
commissions and for the terms page, whatever order the versions were added in."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.partners import queries, service
from evergreen.partners.models import Program
from evergreen.partners.rules import EventType, Terms, TermsOffer, terms_for
from evergreen.partners.service.conversions import ConversionIn, record_conversion


def at(month: int, day: int = 1) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC)


def _terms(n: int, rate: int) -> Terms:
    return Terms(id=n, version=n, kind="percent", rate=Decimal(rate), currency="USD")


def test_terms_for_picks_the_latest_started_not_the_highest_version() -> None:
    # v2 was scheduled for June; v3, added later, started at once in March.
    offers = [
        TermsOffer(_terms(1, 10), "", at(1)),
        TermsOffer(_terms(2, 50), "", at(6)),
        TermsOffer(_terms(3, 20), "", at(3)),
    ]
    assert terms_for(offers, "", at(2)).version == 1  # type: ignore[union-attr]
    assert terms_for(offers, "", at(4)).version == 3  # type: ignore[union-attr]
    assert terms_for(offers, "", at(7)).version == 2  # type: ignore[union-attr]
    # A group with nothing started yet falls back to the default group's terms.
    vip = TermsOffer(_terms(4, 60), "vip", at(9))
    assert terms_for([*offers, vip], "vip", at(8)).version == 2  # type: ignore[union-attr]
    assert terms_for([*offers, vip], "vip", at(9)).version == 4  # type: ignore[union-attr]
    assert terms_for(offers, "", datetime(2025, 12, 31, tzinfo=UTC)) is None


def _program(session: Session) -> Program:
    program = service.default_program(session)
    for rate, start in ((10, at(1)), (50, at(6)), (20, at(3))):  # versions 1, 2, 3
        draft = service.TermsDraft(kind="percent", rate=Decimal(rate), effective_from=start)
        service.add_terms(session, program, draft)
    partner = service.create_partner(
        session, program, name="Ana", email="ana@blog.example", status="active"
    )
    service.add_coupon(session, partner, "ANA")
    return program


def _earned(session: Session, program: Program, customer: str, when: datetime) -> Decimal:
    sale = ConversionIn(
        idempotency_key=customer, event=EventType.SALE, amount=Decimal("100"), currency="USD",
        customer_id=customer, occurred_at=when, order_id=customer, coupon="ANA",
    )  # fmt: skip
    (commission,) = record_conversion(session, program, sale, actor="api").commissions
    return commission.amount


def test_a_higher_version_starting_later_waits_for_its_start(db: Database) -> None:
    with db.session() as session:
        program = _program(session)
        assert _earned(session, program, "jan", at(2)) == Decimal("10.00")  # v1
        # v2 (50 %) has a higher version than v1 but starts in June: not before.
        assert _earned(session, program, "apr", at(4)) == Decimal("20.00")  # v3, from March
        # From June the latest started is v2, though v3 has the higher version.
        assert _earned(session, program, "jul", at(7)) == Decimal("50.00")


def test_the_terms_page_shows_the_version_in_force_and_what_is_scheduled(db: Database) -> None:
    with db.session() as session:
        program = _program(session)
        assert [r.version for r in queries.current_terms(session, program, at(4))] == [3, 2]
        assert [r.version for r in queries.current_terms(session, program, at(7))] == [2]
        early = datetime(2025, 12, 1, tzinfo=UTC)
        assert [r.version for r in queries.current_terms(session, program, early)] == [1, 3, 2]
