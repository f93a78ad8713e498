"""The borrower portal's use cases: a borrower's own loans, statements, payoff letters and draw
requests with photos. Every read starts from the signed-in user's borrower row, and anything
not theirs is NotFound (never "not yours", which would tell that it exists)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.datafiles import delete_when
from evergreen.errors import NotFound
from evergreen.lending.models import Borrower, Draw, DrawPhoto, Loan, Movement
from evergreen.lending.rules.photos import (
    MAX_PHOTO_BYTES,
    PHOTO_TYPES,
    check_photo_count,
    photo_type,
)
from evergreen.lending.service.files import sniffed, stored_file, write_capped
from evergreen.lending.service.loans import Requested, request_draw

__all__ = [
    "PhotoUpload",
    "borrower_of_user",
    "draw_photos",
    "draws_of",
    "own_loan",
    "own_loans",
    "own_photo",
    "photo_file",
    "request_draw_with_photos",
    "statement",
]


@dataclass(frozen=True)
class PhotoUpload:
    """One uploaded file as it arrives: the name the browser sent and its bytes in chunks."""

    name: str
    chunks: Iterable[bytes]


def borrower_of_user(session: Session, user_id: int) -> Borrower | None:
    """The borrower a signed-in borrower account stands for; None while not linked."""
    return session.scalar(select(Borrower).where(Borrower.user_id == user_id))


def own_loans(session: Session, borrower: Borrower) -> list[Loan]:
    """The borrower's loans, newest first."""
    query = select(Loan).where(Loan.borrower_id == borrower.id).order_by(Loan.id.desc())
    return list(session.scalars(query))


def own_loan(session: Session, borrower: Borrower, loan_id: int) -> Loan:
    """One of the borrower's loans; another's or none is the same NotFound."""
    loan = session.get(Loan, loan_id)
    if loan is None or loan.borrower_id != borrower.id:
        raise NotFound("loan_id", f"you have no loan {loan_id}")
    return loan


def statement(session: Session, loan: Loan) -> list[Movement]:
    """The loan's money movements, oldest first: what the borrower's statement lists."""
    query = select(Movement).where(Movement.loan_id == loan.id)
    return list(session.scalars(query.order_by(Movement.on, Movement.id)))


def draws_of(session: Session, loan_id: int) -> list[tuple[Draw, list[DrawPhoto]]]:
    """A loan's draws, newest first, each with its photos."""
    draws = list(session.scalars(
        select(Draw).where(Draw.loan_id == loan_id).order_by(Draw.id.desc())
    ))  # fmt: skip
    photos: dict[int, list[DrawPhoto]] = {d.id: [] for d in draws}
    if draws:
        query = select(DrawPhoto).where(DrawPhoto.draw_id.in_(photos)).order_by(DrawPhoto.id)
        for photo in session.scalars(query):
            photos[photo.draw_id].append(photo)
    return [(d, photos[d.id]) for d in draws]


def draw_photos(session: Session, draw_id: int) -> list[DrawPhoto]:
    """The photos sent with one draw (the owner's draw review shows them)."""
    query = select(DrawPhoto).where(DrawPhoto.draw_id == draw_id).order_by(DrawPhoto.id)
    return list(session.scalars(query))


def request_draw_with_photos(
    session: Session,
    data_dir: Path,
    borrower: Borrower,
    loan_id: int,
    amount: str,
    on: date,
    note: str,
    photos: Sequence[PhotoUpload],
    key: str | None = None,
) -> Requested:
    """A draw request on the borrower's own loan, dated `on` (the day it arrived), with photos
    of the work (images only, each under the cap); a refused photo stores nothing, the draw
    included. The form's key sent again, on any day, answers the draw first requested under it,
    storing no photo more."""
    loan = own_loan(session, borrower, loan_id)
    check_photo_count(len(photos))
    sniffed_all = [
        (upload, *sniffed(upload.chunks, photo_type)) for upload in photos
    ]  # refused before a write
    with session.begin_nested():  # a refused photo takes the draw request back with it
        asked = request_draw(session, loan.id, amount, on, note, key, dated_today=True)
        if not asked.created:
            return asked  # the key's earlier request, its photos stored with it
        draw = asked.draw
        folder = data_dir / "lending" / "draws" / str(draw.id)
        for upload, media, chunks in sniffed_all:
            name, size = write_capped(folder, PHOTO_TYPES[media], chunks, MAX_PHOTO_BYTES,
                                      "photos", "each photo")  # fmt: skip
            delete_when(session, folder / name, "rollback")  # the folder follows the rows
            stored = f"lending/draws/{draw.id}/{name}"
            label = Path(upload.name).name[:200] or name
            session.add(DrawPhoto(draw_id=draw.id, name=label, path=stored,
                                  media_type=media, size=size))  # fmt: skip
        session.flush()
    return asked


def own_photo(session: Session, borrower: Borrower | None, photo_id: int) -> DrawPhoto:
    """A photo the viewer may see: any for the owner's side (borrower None), else only one on
    the borrower's own loan; anything else is NotFound."""
    photo = session.get(DrawPhoto, photo_id)
    if photo is not None and borrower is not None:
        draw = session.get(Draw, photo.draw_id)
        loan = session.get(Loan, draw.loan_id) if draw else None
        if loan is None or loan.borrower_id != borrower.id:
            photo = None
    if photo is None:
        raise NotFound("photo_id", f"there is no photo {photo_id}")
    return photo


def photo_file(data_dir: Path, photo: DrawPhoto) -> Path:
    """Where a photo lies; NotFound when the file went missing from the data folder."""
    return stored_file(data_dir, photo.path, "photo_id", "photo")
