"""Two requests taking the same unique value at the same moment: the second is refused as it
would be one after the other (a 422 naming the field), never a unique-key error (a 500); and
two new versions of a group's terms added at once both land, numbered one after the other. The
first unit of work is paused after its check found the value free: before, under READ COMMITTED
it went on to insert and hit the key the second had just committed."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.links import service as links
from evergreen.partners import service
from evergreen.partners.models import Coupon, Partner, PartnerLink, TermsVersion
from evergreen.partners.rules import PartnerRuleError, ProfileEdit
from evergreen.partners.service import partner_edits, partners, terms
from tests.races import Outcome, Work, race


def _two_partners(db: Database) -> tuple[int, int]:
    with db.session() as session:
        program = service.default_program(session)
        ana = service.create_partner(session, program, name="Ana", email="ana@example.com")
        bo = service.create_partner(session, program, name="Bo", email="bo@example.com")
        draft = links.LinkDraft(destination="https://example.com/", slug="spring")
        links.create_link(session, draft)
        return ana.id, bo.id


def _as_partner(partner_id: int, act: Callable[[Session, Partner], object]) -> Work:
    def work(session: Session) -> object:
        program = service.default_program(session)
        return act(session, service.get_partner(session, program, partner_id))

    return work


def _one_refused(first: Outcome, second: Outcome, field: str) -> PartnerRuleError:
    """One of the two stood, the other was refused naming `field`; the refusal."""
    errors = [error for _value, error in (first, second) if error is not None]
    assert len(errors) == 1, (first, second)
    refused = errors[0]
    assert isinstance(refused, PartnerRuleError), refused
    assert refused.status == 422
    assert refused.field == field
    return refused


def test_one_link_assigned_to_two_partners_at_once_goes_to_one(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana, bo = _two_partners(db)
    first, second = race(
        db, monkeypatch,
        _as_partner(ana, lambda s, p: service.assign_link(s, p, "spring").id),
        _as_partner(bo, lambda s, p: service.assign_link(s, p, "spring").id),
        pause_at=(partners, "_holder"), pause_after=True,
    )  # fmt: skip
    refused = _one_refused(first, second, "slug")
    assert "already belongs to another partner" in refused.message
    with db.session(writer=False) as session:
        assert len(session.scalars(select(PartnerLink)).all()) == 1


def test_one_link_assigned_twice_to_the_same_partner_at_once_is_assigned_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana, _bo = _two_partners(db)
    assign = _as_partner(ana, lambda s, p: service.assign_link(s, p, "spring").id)
    (first, first_error), (second, second_error) = race(
        db, monkeypatch, assign, assign, pause_at=(partners, "_holder"), pause_after=True
    )
    assert (first_error, second_error) == (None, None)
    assert first == second


def test_one_coupon_code_added_for_two_partners_at_once_goes_to_one(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana, bo = _two_partners(db)
    first, second = race(
        db, monkeypatch,
        _as_partner(ana, lambda s, p: service.add_coupon(s, p, "save10").id),
        _as_partner(bo, lambda s, p: service.add_coupon(s, p, "SAVE10").id),
        pause_at=(partners, "_coupon_taken"), pause_after=True,
    )  # fmt: skip
    refused = _one_refused(first, second, "code")
    assert refused.message == "coupon SAVE10 is already used"
    with db.session(writer=False) as session:
        assert session.scalars(select(Coupon.code)).all() == ["SAVE10"]


def _adding(name: str) -> Work:
    def add(session: Session) -> int:
        program = service.default_program(session)
        return service.create_partner(session, program, name=name, email="cy@example.com").id

    return add


def test_one_address_added_as_two_partners_at_once_makes_one(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _two_partners(db)
    first, second = race(
        db, monkeypatch, _adding("Cy"), _adding("Cyrus"),
        pause_at=(partners, "_email_taken"), pause_after=True,
    )  # fmt: skip
    refused = _one_refused(first, second, "email")
    assert refused.message == "cy@example.com is already a partner"


def _moving_to(address: str) -> Callable[[Session, Partner], object]:
    return lambda s, p: service.update_partner(s, p, ProfileEdit(email=address)).email


def test_two_partners_changed_to_one_address_at_once_one_gets_it(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana, bo = _two_partners(db)
    first, second = race(
        db, monkeypatch,
        _as_partner(ana, _moving_to("cy@example.com")),
        _as_partner(bo, _moving_to("cy@example.com")),
        pause_at=(partner_edits, "_new_email"), pause_after=True,
    )  # fmt: skip
    refused = _one_refused(first, second, "email")
    assert refused.message == "cy@example.com is already a partner"
    with db.session(writer=False) as session:
        emails = sorted(session.scalars(select(Partner.email)).all())
    assert emails in (["ana@example.com", "cy@example.com"], ["bo@example.com", "cy@example.com"])


def _terms(rate: str) -> Work:
    def add(session: Session) -> int:
        program = service.default_program(session)
        draft = service.TermsDraft(kind="flat", rate=Decimal(rate))
        return service.add_terms(session, program, draft).version

    return add


def test_two_versions_of_the_terms_added_at_once_both_land(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _two_partners(db)
    (first, first_error), (second, second_error) = race(
        db, monkeypatch, _terms("10"), _terms("12"),
        pause_at=(terms, "_next_version"), pause_after=True,
    )  # fmt: skip
    assert (first_error, second_error) == (None, None)
    with db.session(writer=False) as session:
        versions = session.scalars(select(TermsVersion.version).order_by(TermsVersion.version))
        assert list(versions)[-2:] == sorted([first, second])  # type: ignore[type-var]
