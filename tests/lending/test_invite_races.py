"""A borrower accepts their portal invitation while the owner edits them or invites them again:
the outcome is one of the two orders, each deciding on what the other committed. Before, on
PostgreSQL (READ COMMITTED), the acceptance decided on the borrower as its page read them: a link
that an email change or a newer invitation had voided (and committed) still made a sign-in under
the old address and linked it to the borrower, killing the newer link the owner had just handed
over; a new invitation made while an acceptance committed came back as an invitation nobody could
use. The first unit of work is paused after it has read the borrower; on SQLite writers take
turns, so the second waits for the first."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.accounts import service as accounts
from evergreen.accounts.models import User
from evergreen.db import Database
from evergreen.errors import InputError
from evergreen.lending import service
from evergreen.lending.models import Borrower
from evergreen.lending.service import parties
from tests.http_helpers import PASSWORD
from tests.races import Outcome, Work, race

SECRET = "lending-invite-race-secret-Qw8Zr3Kt6Ny1"
BASE = "http://testserver/"
OLD, NEW = "ann@rehab.example", "ann@new.example"
VOIDED = "this invitation no longer matches a borrower; ask your lender for a new one"
REPLACED = "a newer invitation replaced this one; use the latest link you were sent"


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def _invited(db: Database) -> tuple[int, str]:
    """Ann, a borrower invited to the portal at her first address: her id and the link's token."""
    with db.session() as session:
        ann = service.add_borrower(session, service.BorrowerDraft("Ann Rehab", email=OLD))
        link = service.issue_invite(session, SECRET, BASE, ann.id)
        assert link.kind == "invitation"
        return ann.id, _token(link.url)


def _accept(token: str) -> Work:
    """What the invitation page does when Ann posts her password."""

    def work(session: Session) -> None:
        invite, _borrower = service.usable_invitation(session, SECRET, token)
        service.accept_invitation(session, invite, PASSWORD)

    return work


def _edit(borrower_id: int) -> Work:
    """What the borrower's page does when the owner saves her new address."""

    def work(session: Session) -> str:
        draft = service.BorrowerDraft("Ann Rehab", email=NEW, phone="555-0100")
        return service.update_borrower(session, borrower_id, draft).email

    return work


def _reinvite(borrower_id: int) -> Work:
    """What the invitation page does when the owner makes a new link."""

    def work(session: Session) -> service.PortalLink:
        return service.issue_invite(session, SECRET, BASE, borrower_id)

    return work


def _stored(db: Database, borrower_id: int) -> tuple[Borrower, list[str], str | None]:
    """Ann as stored, every address that signs in, and the one her row links to."""
    with db.session(writer=False) as session:
        ann = session.get_one(Borrower, borrower_id)
        session.expunge(ann)
        sign_ins = list(session.scalars(select(User.email).order_by(User.email)))
        linked = session.scalar(select(User.email).where(User.id == ann.user_id))
        return ann, sign_ins, linked


def _refused(outcome: Outcome, message: str) -> None:
    """The acceptance was refused, in these words, on the token."""
    _, error = outcome
    assert isinstance(error, InputError), outcome
    assert (error.field, error.message) == ("token", message)


def _after_an_edit(db: Database, ann: int, accept: Outcome, edit: Outcome) -> str:
    """What is stored is what one order of the acceptance and the edit leaves; which."""
    assert edit == (NEW, None), edit  # the edit stands in either order
    borrower, sign_ins, linked = _stored(db, ann)
    assert (borrower.email, borrower.phone) == (NEW, "555-0100")
    if accept[1] is None:  # accepted first: the edit moves the sign-in it made to the new address
        assert (sign_ins, linked, borrower.invite_nonce) == ([NEW], NEW, None)
        return "accepted"
    _refused(accept, VOIDED)  # edited first: the link names an address she no longer has
    assert (sign_ins, linked) == ([], None)
    return "edited"


def _after_a_new_invitation(db: Database, ann: int, accept: Outcome, reinvite: Outcome) -> str:
    """What is stored and handed over is what one order of the two leaves; which."""
    link, reinvite_error = reinvite
    assert reinvite_error is None, reinvite
    assert isinstance(link, service.PortalLink)
    borrower, sign_ins, linked = _stored(db, ann)
    if accept[1] is None:  # accepted first: the owner gets a password reset for her sign-in
        assert link.kind == "password_reset", link
        assert (sign_ins, linked, borrower.invite_nonce) == ([OLD], OLD, None)
        return "accepted"
    _refused(accept, REPLACED)  # invited again first: only the newer link works
    assert link.kind == "invitation", link
    assert (sign_ins, linked) == ([], None)
    with db.session(writer=False) as session:
        invite, whose = service.usable_invitation(session, SECRET, _token(link.url))
        assert (invite.email, invite.nonce, whose.id) == (OLD, borrower.invite_nonce, ann)
    return "invited"


def test_an_email_change_committed_while_the_invitation_is_accepted_voids_the_link(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostgreSQL: the edit commits while the acceptance is paused (it holds no lock yet), so the
    # acceptance must decide on the new address. SQLite: the edit waits for the acceptance.
    ann, token = _invited(db)
    accept, edit = race(
        db, monkeypatch, _accept(token), _edit(ann),
        pause_at=(accounts, "account_exists"), pause_after=True,
    )  # fmt: skip
    expected = "accepted" if db.single_writer else "edited"
    assert _after_an_edit(db, ann, accept, edit) == expected


def test_an_invitation_accepted_while_the_email_is_being_changed_waits_for_the_edit(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The edit holds Ann's row from its start: the acceptance decides on the address it saved.
    ann, token = _invited(db)
    edit, accept = race(
        db, monkeypatch, _edit(ann), _accept(token),
        pause_at=(parties, "borrower_named"), pause_after=True,
    )  # fmt: skip
    assert _after_an_edit(db, ann, accept, edit) == "edited"


def test_a_new_invitation_committed_while_the_old_one_is_accepted_voids_the_old_link(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostgreSQL: the new invitation commits while the acceptance is paused; the old link must
    # then be refused and the new one work. SQLite: the owner gets a reset link instead.
    ann, token = _invited(db)
    accept, reinvite = race(
        db, monkeypatch, _accept(token), _reinvite(ann),
        pause_at=(accounts, "account_exists"), pause_after=True,
    )  # fmt: skip
    expected = "accepted" if db.single_writer else "invited"
    assert _after_a_new_invitation(db, ann, accept, reinvite) == expected


def test_an_invitation_accepted_while_a_new_one_is_being_made_waits_for_it(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The new invitation holds Ann's row from its start (it found no sign-in for her address):
    # the acceptance then finds its link replaced, and the owner's new link works.
    ann, token = _invited(db)
    reinvite, accept = race(
        db, monkeypatch, _reinvite(ann), _accept(token),
        pause_at=(accounts, "user_by_email"), pause_after=True,
    )  # fmt: skip
    assert _after_a_new_invitation(db, ann, accept, reinvite) == "invited"
