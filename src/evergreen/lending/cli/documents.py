"""`evergreen lending document …`: a borrower's documents filed from a file on disk (with the
upload's checks: a PDF or an image, at most 20 MB), listed per borrower or loan, removed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from evergreen.config import get_settings
from evergreen.console import failure, in_session, row_id_argument, row_id_option
from evergreen.lending import service
from evergreen.lending.cli.common import JsonOpt, echo_json
from evergreen.lending.errors import LendingInputError
from evergreen.lending.models import BorrowerDocument
from evergreen.lending.rules.documents import DOCUMENT_KINDS

__all__ = ["document_app"]

document_app = typer.Typer(help="Borrowers' documents: IDs, agreements, insurance, appraisals.",
                           no_args_is_help=True)  # fmt: skip

BorrowerOpt = Annotated[int | None, row_id_option("The borrower's ID (borrower list).")]
LoanOpt = Annotated[
    int | None,
    row_id_option("Or a loan's ID: its borrower's documents."),
]


def _whose(session: Session, borrower: int | None, loan: int | None) -> int:
    """The borrower named by --borrower or by --loan (exactly one of them)."""
    if borrower is not None and loan is None:
        return service.get_borrower(session, borrower).id
    if loan is not None and borrower is None:
        return service.get_loan(session, loan).borrower_id
    raise LendingInputError("borrower", "give either --borrower or --loan")


def _chunks(path: Path) -> Iterator[bytes]:
    """The file's bytes in pieces, as an upload arrives; unreadable is a refusal naming it."""
    try:
        with path.open("rb") as source:
            while chunk := source.read(256 * 1024):
                yield chunk
    except OSError as exc:
        raise LendingInputError("file", f"cannot read {path}: {exc.strerror}") from None


@document_app.command("add")
def document_add(
    file: Annotated[Path, typer.Argument(help="The PDF or image to file.")],
    kind: Annotated[str, typer.Option(help=f"One of {', '.join(DOCUMENT_KINDS)}.")],
    borrower: BorrowerOpt = None,
    loan: LoanOpt = None,
    note: str = "",
    name: Annotated[str, typer.Option(help="Shown and downloaded as (the file's name).")] = "",
) -> None:
    """File a document on a borrower; prints its ID."""
    data_dir = get_settings().data_dir

    def work(session: Session) -> int:
        whose = _whose(session, borrower, loan)
        chunks = _chunks(file)
        row = service.add_document(session, data_dir, whose, kind, note, name or file.name, chunks)
        return row.id

    typer.echo(in_session(work))


def _row(row: BorrowerDocument) -> dict[str, object]:
    return {"id": row.id, "borrower_id": row.borrower_id, "kind": row.kind, "name": row.name,
            "note": row.note, "media_type": row.media_type, "size": row.size,
            "created_at": row.created_at.isoformat()}  # fmt: skip


@document_app.command("list")
def document_list(
    borrower: BorrowerOpt = None, loan: LoanOpt = None, as_json: JsonOpt = False
) -> None:
    """A borrower's documents, newest first: ID, kind, name, size in bytes, note."""

    def work(session: Session) -> list[dict[str, object]]:
        return [_row(d) for d in service.documents_of(session, _whose(session, borrower, loan))]

    rows = in_session(work, writer=False)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['id']}\t{r['kind']}\t{r['name']}\t{r['size']}\t{r['note']}")


@document_app.command("remove")
def document_remove(
    document: Annotated[int, row_id_argument("The document's ID (document list).")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
) -> None:
    """Take a document off its borrower and delete its file from the data folder."""
    data_dir = get_settings().data_dir

    def work(session: Session) -> str:
        row = service.find_document(session, document)
        if not yes:
            raise failure(f"removing {row.name} deletes its file and cannot be undone; add "
                          "--yes to confirm")  # fmt: skip
        name = row.name
        service.remove_document(session, data_dir, row.borrower_id, row.id)
        return name

    typer.echo(f"Removed document {document} ({in_session(work)}).")
