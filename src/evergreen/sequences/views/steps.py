"""/sequences/{id}/steps: add one step with a plain form row, or remove one after confirming,
without writing JSON. Both go through the same live edit (`revise`) as the document, so kept
steps keep their ids and nobody is sent a step again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.errors import InputError
from evergreen.sequences import queries, service
from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.service import steps as step_edits
from evergreen.sequences.views.forms import DocStr, FormStr, step_of_row
from evergreen.sequences.views.sequences import sequence_context
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DbId, OwnerUser, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/sequences", include_in_schema=False)


def _with_error(
    request: Request, session: Session, sequence_id: int, error: InputError, row: dict[str, str]
) -> Response:
    context = sequence_context(session, sequence_id)
    context["steps_error"], context["row"] = error, row
    return render(request, "sequences/sequence.html", context, status_code=400)


@router.post("/{sequence_id:int}/steps")
def add_step(
    request: Request,
    sequence_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    kind: FormStr = "",
    amount: FormStr = "",
    unit: FormStr = "days",
    name: FormStr = "",
    subject: FormStr = "",
    body: DocStr = "",
    after: FormStr = "",
) -> Response:
    """Owner only: one step added after the chosen step (or at the end)."""
    found = queries.detail(session, sequence_id)
    if found is None:
        service.sequence_by_id(session, sequence_id)
    assert found is not None
    row = {"kind": kind, "amount": amount, "unit": unit, "name": name, "subject": subject,
           "body": body, "after": after}  # fmt: skip
    form.on_error(lambda error: _with_error(request, session, sequence_id, error, row))
    step, messages = step_of_row(row, set(found.messages))
    step_edits.add_step(session, found.card.name, step, messages, after)
    return RedirectResponse(f"/sequences/{sequence_id}?done=saved#steps", status_code=303)


@router.post("/{sequence_id:int}/steps/{step_id}/remove")
def remove_step(
    request: Request,
    sequence_id: DbId,
    step_id: Annotated[str, Path(max_length=40)],
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    confirm: FormStr = "",
) -> Response:
    """Owner only: remove one step once confirmed; people waiting at it go on at the next."""
    found = queries.detail(session, sequence_id)
    if found is None:
        service.sequence_by_id(session, sequence_id)
    assert found is not None
    words = next((w for i, _k, w in found.lines if i == step_id), None)
    if words is None:
        raise SequenceInputError("step_id", f"no step {step_id[:40]!r} in this sequence")
    step = Confirmation(
        title=f"Remove step {step_id} ({words})?",
        consequence="People already past it are not affected; people waiting for it go on at "
        "the next step that is kept. A removed step cannot be brought back (add a new one).",
        button="Remove step",
        cancel=f"/sequences/{sequence_id}#steps",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    form.on_error(lambda error: _with_error(request, session, sequence_id, error, {}))
    step_edits.remove_step(session, found.card.name, step_id)
    return RedirectResponse(f"/sequences/{sequence_id}?done=saved#steps", status_code=303)
