"""The owner edits or suspends a partner while the partner accepts their invitation: the
outcome is one of the two orders. Before, on PostgreSQL (READ COMMITTED), an email change
committed while the acceptance was under way left a sign-in under the old address and the
partner under the new one (the portal finds a partner by their sign-in's email: locked out).
The first unit of work is paused after it has read the partner, before it commits; on SQLite
writers take turns."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.accounts import service as accounts
from evergreen.accounts.models import User
from evergreen.db import Database
from evergreen.partners import service
from evergreen.partners.models import Partner
from evergreen.partners.rules import PartnerConflict, ProfileEdit
from evergreen.partners.rules.invite_token import InviteError
from evergreen.partners.service import partner_edits
from tests.http_helpers import PASSWORD
from tests.races import Outcome, Work, race

SECRET = "invite-race-secret-Vb7Qx2Lm9Tz4"
OLD, NEW = "ana@example.com", "ana@new.example"


def _invited(db: Database) -> tuple[int, str]:
    """Ana, a partner invited to the portal at her first address: her id and the link's token."""
    with db.session() as session:
        program = service.default_program(session)
        ana = service.create_partner(session, program, name="Ana", email=OLD)
        link = service.issue_invite(session, SECRET, "http://testserver/", ana)
        assert link.kind == "invitation"
        return ana.id, parse_qs(urlsplit(link.url).query)["token"][0]


def _accept(token: str) -> Work:
    """What the invitation page does when Ana posts her password."""

    def work(session: Session) -> None:
        invite, _partner = service.usable_invitation(session, SECRET, token)
        service.accept_invitation(session, invite, PASSWORD)

    return work


def _edit(partner_id: int, edit: ProfileEdit) -> Work:
    """What the partner's page does when the owner saves the form."""

    def work(session: Session) -> str:
        partner = service.get_partner(session, service.default_program(session), partner_id)
        return service.update_partner(session, partner, edit).email

    return work


def _stored(db: Database, partner_id: int) -> tuple[Partner, list[str]]:
    """Ana as stored, and every address that signs in."""
    with db.session(writer=False) as session:
        partner = session.get_one(Partner, partner_id)
        session.expunge(partner)
        return partner, list(session.scalars(select(User.email).order_by(User.email)))


def _one_order(db: Database, partner_id: int, accept: Outcome, edit: Outcome) -> str:
    """Exactly one of the two stood, and what is stored is what that order leaves; which."""
    (_, accept_error), (_, edit_error) = accept, edit
    assert (accept_error is None) != (edit_error is None), ("not exactly one stood", accept, edit)
    partner, sign_ins = _stored(db, partner_id)
    if accept_error is None:  # accepted first: the address now signs in, so the edit is refused
        assert isinstance(edit_error, PartnerConflict), edit
        assert edit_error.field == "email"
        assert "signs in to the portal with this address" in edit_error.message
        assert (partner.email, sign_ins) == (OLD, [OLD])
        return "accepted"
    assert edit_error is None, (accept, edit)  # edited first: the link names the old address
    assert isinstance(accept_error, InviteError), accept
    assert accept_error.message == "this invitation no longer matches a partner; ask for a new one"
    assert (partner.email, sign_ins) == (NEW, [])
    return "edited"


def test_an_email_change_under_way_when_the_invitation_is_accepted_voids_the_link(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana, token = _invited(db)
    edit, accept = race(
        db, monkeypatch, _edit(ana, ProfileEdit(email=NEW)), _accept(token),
        pause_at=(partner_edits, "_new_email"), pause_after=True,
    )  # fmt: skip
    assert _one_order(db, ana, accept, edit) == "edited"


def test_an_invitation_accepted_while_the_email_is_changed_keeps_the_address_it_signs_in_with(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana, token = _invited(db)
    accept, edit = race(
        db, monkeypatch, _accept(token), _edit(ana, ProfileEdit(email=NEW)),
        pause_at=(accounts, "create_user"),
    )  # fmt: skip
    assert _one_order(db, ana, accept, edit) == "accepted"


def test_two_edits_of_one_partner_at_once_both_land(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana, _token = _invited(db)
    (email, email_error), (_, name_error) = race(
        db, monkeypatch,
        _edit(ana, ProfileEdit(email=NEW)),
        _edit(ana, ProfileEdit(name="Ana Lima", group="vip", payout_email="pay@ana.example")),
        pause_at=(partner_edits, "_new_email"), pause_after=True,
    )  # fmt: skip
    assert (email, email_error, name_error) == (NEW, None, None)
    partner, sign_ins = _stored(db, ana)
    assert (partner.email, partner.name, partner.group) == (NEW, "Ana Lima", "vip")
    assert partner.payout_details == {"email": "pay@ana.example"}
    assert sign_ins == []


# The owner suspends Ana while she accepts her invitation. Before, on PostgreSQL, the acceptance
# checked her status while the suspension was under way and both stood: a suspended partner with
# a fresh sign-in, though the owner had just been told she could not use a new invitation.


def _suspend(partner_id: int) -> Work:
    """What the partners page does when the owner confirms the suspension."""

    def work(session: Session) -> str:
        partner = service.get_partner(session, service.default_program(session), partner_id)
        return service.set_status(session, partner, "suspended").status

    return work


def test_an_invitation_accepted_while_a_suspension_is_under_way_is_refused(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana, token = _invited(db)
    (status, suspend_error), (_, accept_error) = race(
        db, monkeypatch, _suspend(ana), _accept(token),
        pause_at=(service, "set_status"), pause_after=True,  # decided, not yet committed
    )  # fmt: skip
    assert (status, suspend_error) == ("suspended", None)
    assert isinstance(accept_error, InviteError), accept_error
    assert accept_error.message == "this partnership is suspended; contact the program owner"
    partner, sign_ins = _stored(db, ana)
    assert (partner.status, sign_ins) == ("suspended", [])


def test_a_suspension_while_the_invitation_is_accepted_waits_and_closes_the_portal(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana, token = _invited(db)
    (_, accept_error), (status, suspend_error) = race(
        db, monkeypatch, _accept(token), _suspend(ana),
        pause_at=(accounts, "create_user"),  # checked under the lock, sign-in not yet made
    )  # fmt: skip
    assert (accept_error, status, suspend_error) == (None, "suspended", None)
    partner, sign_ins = _stored(db, ana)
    assert (partner.status, sign_ins) == ("suspended", [OLD])
    with db.session(writer=False) as session:
        assert service.partner_for_user(session, OLD) is None  # the sign-in opens no portal
