"""Uploads written into the data folder as they arrive: a partial file under a size cap, renamed
into place only when whole, so a refused or broken upload leaves nothing behind; a file on this
machine (a command's --file) read in pieces as an upload arrives; a file deleted when the unit of
work that stopped naming it commits, or that wrote it rolls back (`delete_when`), so the folder
agrees with the rows."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

__all__ = ["When", "delete_when", "read_chunks", "write_capped"]


def write_capped(
    folder: Path,
    name: str,
    chunks: Iterable[bytes],
    cap: int,
    too_large: Exception,
    empty: Exception | None = None,
) -> int:
    """Write `chunks` to `folder`/`name` atomically; `too_large` past `cap` bytes, `empty` (when
    given) for no bytes at all, either leaving no file. The size written."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"upload-{os.getpid()}-{secrets.token_hex(4)}.part"
    size = 0
    try:
        with partial.open("wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > cap:
                    raise too_large
                out.write(chunk)
        if size == 0 and empty is not None:
            raise empty
        partial.replace(folder / name)
    finally:
        partial.unlink(missing_ok=True)
    return size


def read_chunks(path: Path, size: int = 1024 * 1024) -> Iterator[bytes]:
    """A file on this machine in pieces of `size` bytes, as an upload arrives."""
    with path.open("rb") as source:
        while chunk := source.read(size):
            yield chunk


When = Literal["commit", "rollback"]  # the outcome that deletes a noted file


@dataclass(frozen=True, eq=False)
class _Pending:
    """A file to delete when the (sub)transaction it was noted in commits, or rolls back."""

    path: Path
    when: When  # "commit": a file no row names once committed; "rollback": one a row named
    noted_in: SessionTransaction


_PENDING = "evergreen.datafiles.pending"  # session.info's key: the files waiting on an outcome


def delete_when(session: Session, path: Path, when: When) -> None:
    """Delete `path` once this unit of work commits (`when="commit"`) or once the transaction
    that noted it rolls back (`when="rollback"`): the folder then agrees with the rows."""
    if _PENDING not in session.info:
        session.info[_PENDING] = []
        event.listen(session, "after_commit", _committed)
        event.listen(session, "after_soft_rollback", _rolled_back)
        event.listen(session, "after_transaction_end", _ended)
    noted_in = session.get_nested_transaction() or session.get_transaction()
    assert noted_in is not None  # a flush came first, so a transaction is open
    session.info[_PENDING].append(_Pending(path, when, noted_in))


def _settle(session: Session, settled: list[_Pending], when: When) -> None:
    """Delete the files waiting on this outcome, forget the others of `settled`."""
    pending: list[_Pending] = session.info[_PENDING]
    session.info[_PENDING] = [each for each in pending if each not in settled]
    for each in settled:
        if each.when == when:
            each.path.unlink(missing_ok=True)


def _committed(session: Session) -> None:
    """The whole unit of work committed (a savepoint released changes nothing yet)."""
    if not session.in_nested_transaction():
        _settle(session, list(session.info[_PENDING]), "commit")


def _rolled_back(session: Session, previous: SessionTransaction) -> None:
    """A savepoint (or the whole unit of work) rolled back: what was noted within it undone."""
    _settle(
        session, [e for e in session.info[_PENDING] if _within(e.noted_in, previous)], "rollback"
    )


def _ended(session: Session, transaction: SessionTransaction) -> None:
    """The unit of work ended without a commit (closed, or rolled back): nothing it noted stays
    waiting for a later one."""
    if transaction.parent is None:
        _settle(session, list(session.info[_PENDING]), "rollback")


def _within(noted_in: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while noted_in is not None:
        if noted_in is ended:
            return True
        noted_in = noted_in.parent
    return False
