"""The borrower portal's service on SQLite and PostgreSQL: an invitation links the borrower's
new sign-in, letters state the quote's figures (the PDF's text holds the total), draw requests
keep their photos (images only, under the cap), and nothing of another borrower is found."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from evergreen.accounts import service as accounts
from evergreen.accounts.models import User
from evergreen.db import Database
from evergreen.errors import InputError, NotFound
from evergreen.lending import service
from evergreen.lending.models import Borrower, Draw, DrawPhoto
from evergreen.lending.rules.invites import read_invite
from evergreen.lending.rules.photos import MAX_PHOTO_BYTES
from tests.conftest import TEST_SECRET
from tests.http_helpers import PASSWORD
from tests.lending.pdftext import pdf_text

D = Decimal
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
START = date(2026, 1, 1)


def _loan(db: Database, borrower: str, email: str) -> int:
    with db.session() as session:
        service.add_borrower(session, service.BorrowerDraft(borrower, "llc", email))
        draft = service.LoanDraft(borrower=borrower, principal="120000", annual_rate="11%",
                                  months=12, start=START, day_count="actual/360",
                                  commitment="40000", draw_fee="150")  # fmt: skip
        return service.add_loan(session, draft).id


def _borrower(db: Database, name: str) -> Borrower:
    with db.session(writer=False) as session:
        row = session.scalars(select(Borrower).where(Borrower.name == name)).one()
        session.expunge(row)
        return row


def test_an_invitation_links_the_new_sign_in_once_and_a_new_one_replaces_it(db: Database) -> None:
    _loan(db, "Rehab Co", "Ann@Rehab.example")
    ann = _borrower(db, "Rehab Co")
    with db.session() as session:
        first = service.issue_invite(session, TEST_SECRET, "https://lend.example", ann.id)
        second = service.issue_invite(session, TEST_SECRET, "https://lend.example", ann.id)
    assert first.kind == "invitation"
    assert first.url.startswith("https://lend.example/borrower/")
    old, new = (url.split("token=")[1] for url in (first.url, second.url))
    with db.session() as session, pytest.raises(InputError, match="newer invitation"):
        service.usable_invitation(session, TEST_SECRET, old)
    with db.session() as session:
        invite, borrower = service.usable_invitation(session, TEST_SECRET, new)
        assert invite.email == "ann@rehab.example"
        assert borrower.id == ann.id
        service.accept_invitation(session, invite, PASSWORD)
    with db.session() as session:
        user = accounts.user_by_email(session, "ann@rehab.example")
        assert user is not None
        assert user.role == "borrower"
        assert service.borrower_of_user(session, user.id).id == ann.id  # type: ignore[union-attr]
        with pytest.raises(InputError, match="already exists"):
            service.usable_invitation(session, TEST_SECRET, new)
        # Inviting again once they sign in gives a password-reset link instead.
        again = service.issue_invite(session, TEST_SECRET, "https://lend.example", ann.id)
    assert again.kind == "password_reset"
    assert "/account/reset?token=" in again.url
    assert read_invite(TEST_SECRET, new, invite.expires_at.replace(year=2000)).nonce == invite.nonce


def test_a_new_address_moves_the_borrowers_one_sign_in(
    db: Database, people: dict[str, str]
) -> None:
    _loan(db, "Move Co", "old@move.example")
    moved = _borrower(db, "Move Co")
    with db.session() as session:
        link = service.issue_invite(session, TEST_SECRET, "https://lend.example", moved.id)
        invite, _ = service.usable_invitation(session, TEST_SECRET, link.url.split("token=")[1])
        service.accept_invitation(session, invite, PASSWORD)
        stale = accounts.issue_reset(session, "old@move.example", actor="owner",
                                     base_url="https://lend.example")  # fmt: skip
    edit = service.BorrowerDraft("Move Co", "llc", "New@Move.example")
    with db.session() as session:
        service.update_borrower(session, moved.id, edit)
    with db.session() as session:
        assert accounts.user_by_email(session, "old@move.example") is None
        user = accounts.user_by_email(session, "new@move.example")
        assert user is not None
        assert user.id == _borrower(db, "Move Co").user_id
        with pytest.raises(InputError):  # the link sent to the old address is void
            accounts.reset_for_token(session, stale.url.split("token=")[1])
        again = service.issue_invite(session, TEST_SECRET, "https://lend.example", moved.id)
    assert again.kind == "password_reset"  # the one sign-in, never a second
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == len(people) + 1
    for email, why in (("", "signs in to the portal with new@move.example"),
                       (people["staff"], "already signs in here")):  # fmt: skip
        with db.session() as session, pytest.raises(InputError, match=why) as refused:
            service.update_borrower(
                session, moved.id, service.BorrowerDraft("Move Co", "llc", email)
            )
        assert refused.value.field == "email"
    assert _borrower(db, "Move Co").email == "New@Move.example"


def test_a_borrower_without_email_or_with_a_team_email_is_not_invited(
    db: Database, people: dict[str, str]
) -> None:
    _loan(db, "No Mail LLC", "")
    _loan(db, "Staff Twin", people["staff"])
    with db.session() as session:
        for name, message in (("No Mail LLC", "has no email"), ("Staff Twin", "signs in as staff")):
            row = session.scalars(select(Borrower).where(Borrower.name == name)).one()
            with pytest.raises(InputError, match=message):
                service.issue_invite(session, TEST_SECRET, "https://x.example", row.id)


def test_a_letter_states_the_quote_and_its_pdf_holds_the_total(db: Database) -> None:
    loan_id = _loan(db, "Rehab Co", "ann@rehab.example")
    with db.session() as session:
        letter = service.letter_of(session, loan_id, date(2026, 2, 1), date(2026, 1, 20),
                                   "First Bank | ABA 021000021", borrower=False)  # fmt: skip
        quote = service.quote(session, loan_id, date(2026, 2, 1))
    # Actual/360: 120,000 x 11 % x 31 days / 360 = 1,136.67; per diem 36.67.
    assert (letter.principal, letter.interest, letter.total) == (
        D("120000.00"), D("1136.67"), D("121136.67"))  # fmt: skip
    assert letter.total == quote.total
    assert letter.per_diem == quote.per_diem == D("36.67")
    text = pdf_text(service.letter_pdf(letter, "Evergreen Lending", compress=False))
    for shown in ("Payoff letter - loan", "121,136.67 USD", "Good through: 2026-02-01",
                  "Per diem: 36.67 USD", "First Bank", "ABA 021000021", "Rehab Co"):  # fmt: skip
        assert shown in text
    with db.session() as session, pytest.raises(InputError, match="or later"):
        service.letter_of(session, loan_id, date(2026, 1, 19), date(2026, 1, 20), "",
                          borrower=True)  # fmt: skip


def _photos(*files: tuple[str, bytes]) -> list[service.PhotoUpload]:
    return [service.PhotoUpload(name, iter([data[:5], data[5:]])) for name, data in files]


def test_a_draw_request_keeps_its_photos_and_refuses_other_files(
    db: Database, tmp_path: Path
) -> None:
    loan_id = _loan(db, "Rehab Co", "ann@rehab.example")
    ann = _borrower(db, "Rehab Co")
    with db.session() as session:
        draw = service.request_draw_with_photos(
            session, tmp_path, ann, loan_id, "10000", date(2026, 1, 20), "Roof",
            _photos(("roof.png", PNG), ("../../etc/kitchen.jpg", b"\xff\xd8\xff" + b"1" * 40)),
        ).draw  # fmt: skip
        draw_id = draw.id
    with db.session(writer=False) as session:
        photos = service.draw_photos(session, draw_id)
        assert [(p.name, p.media_type, p.size) for p in photos] == [
            ("roof.png", "image/png", len(PNG)), ("kitchen.jpg", "image/jpeg", 43)]  # fmt: skip
        stored = service.photo_file(tmp_path, service.own_photo(session, ann, photos[0].id))
        assert stored.read_bytes() == PNG
        assert stored.is_relative_to(tmp_path / "lending")
    for refused, message in (
        (_photos(("notes.png", b"%PDF-1.7 not an image")), "must be images"),
        (_photos(("huge.png", PNG + b"0" * MAX_PHOTO_BYTES)), "at most 8 MB"),
        (_photos(*[("p.png", PNG)] * 7), "at most 6 photos"),
    ):
        with db.session() as session, pytest.raises(InputError, match=message):
            service.request_draw_with_photos(session, tmp_path, ann, loan_id, "500",
                                             date(2026, 1, 21), "", refused)  # fmt: skip
    with db.session(writer=False) as session:  # each refusal stored nothing, the draw included
        assert session.scalar(select(func.count()).select_from(Draw)) == 1
        assert session.scalar(select(func.count()).select_from(DrawPhoto)) == 2
    files = [p for p in (tmp_path / "lending" / "draws").rglob("*") if p.is_file()]
    assert sorted(p.suffix for p in files) == [".jpg", ".png"]  # no partial file left behind


def test_nothing_of_another_borrower_is_found(db: Database, tmp_path: Path) -> None:
    ann_loan = _loan(db, "Rehab Co", "ann@rehab.example")
    bob_loan = _loan(db, "Flip LLC", "bob@flip.example")
    ann, bob = _borrower(db, "Rehab Co"), _borrower(db, "Flip LLC")
    with db.session() as session:
        photos = _photos(("a.png", PNG))
        draw = service.request_draw_with_photos(session, tmp_path, ann, ann_loan, "1000",
                                                date(2026, 1, 20), "", photos).draw  # fmt: skip
        photo_id = service.draw_photos(session, draw.id)[0].id
    with db.session() as session:
        assert [loan.id for loan in service.own_loans(session, bob)] == [bob_loan]
        with pytest.raises(NotFound):
            service.own_loan(session, bob, ann_loan)
        with pytest.raises(NotFound):
            service.own_photo(session, bob, photo_id)
        with pytest.raises(NotFound):
            service.request_draw_with_photos(session, tmp_path, bob, ann_loan, "1000",
                                             date(2026, 1, 20), "", [])  # fmt: skip
        assert service.own_photo(session, None, photo_id).id == photo_id  # the owner's side
