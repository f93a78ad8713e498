"""/ledger/rules: the saved payee rules that bank imports use, added, changed and deleted."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from evergreen.digits import row_id
from evergreen.ledger.service import all_streams
from evergreen.ledger.service import import_rules as rules
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DbId, DbIdQuery, OwnerUser, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/ledger/rules", include_in_schema=False)
_DONE = {"added": "Rule saved.", "changed": "Rule changed.", "deleted": "Rule deleted."}


def _page(
    request: Request, session: SessionDep, status_code: int = 200, **context: Any
) -> Response:
    streams = all_streams(session)
    names = {stream.id: stream.name for stream in streams}
    full = {
        "title": "Import rules",
        "rules": rules.all_rules(session),
        "streams": streams,
        "names": names,
        "form": {},
        **context,
    }
    return render(request, "ledger/rules.html", full, status_code=status_code)


def _draft(pattern: str, stream: str, account: str, regex: str, priority: str) -> rules.RuleDraft:
    stream_id = row_id(stream) or 0
    return rules.RuleDraft(pattern, stream_id, account, regex == "on", priority or "0")


@router.get("")
def rules_page(
    request: Request, session: SessionDep, user: OwnerUser, pattern: str = "",
    edit: DbIdQuery = None, done: str = "",
) -> Response:  # fmt: skip
    """Owner only: the rules in the order they are tried, and a form to add (or change) one."""
    form: dict[str, Any] = {"pattern": pattern[:200], "priority": 0}
    editing = None
    if edit is not None:
        editing = rules.get_rule(session, edit)
        form = {"pattern": editing.pattern, "stream": editing.stream_id, "account": editing.account,
                "regex": editing.regex, "priority": editing.priority}  # fmt: skip
    return _page(request, session, form=form, editing=editing, done=_DONE.get(done, ""))


@router.post("")
def add_rule(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    page: FormPageDep,
    pattern: Annotated[str, Form()] = "",
    stream: Annotated[str, Form()] = "",
    account: Annotated[str, Form()] = "",
    regex: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "0",
) -> Response:
    """Owner only: save a rule; the next import and preview use it."""
    form = {"pattern": pattern, "stream": stream, "account": account, "regex": regex == "on",
            "priority": priority}  # fmt: skip
    page.on_error(lambda error: _page(request, session, 400, form=form, error=error))
    rules.add_rule(session, _draft(pattern, stream, account, regex, priority))
    return RedirectResponse("/ledger/rules?done=added", status_code=303)


@router.post("/{rule_id}")
def change_rule(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    page: FormPageDep,
    rule_id: DbId,
    pattern: Annotated[str, Form()] = "",
    stream: Annotated[str, Form()] = "",
    account: Annotated[str, Form()] = "",
    regex: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "0",
) -> Response:
    """Owner only: change a rule; what it posted before stays as it was."""
    editing = rules.get_rule(session, rule_id)
    form = {"pattern": pattern, "stream": stream, "account": account, "regex": regex == "on",
            "priority": priority}  # fmt: skip
    page.on_error(
        lambda error: _page(request, session, 400, form=form, error=error, editing=editing)
    )
    rules.update_rule(session, rule_id, _draft(pattern, stream, account, regex, priority))
    return RedirectResponse("/ledger/rules?done=changed", status_code=303)


@router.post("/{rule_id}/delete")
def delete_rule(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    rule_id: DbId,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Owner only, once confirmed: delete a rule; entries it posted stay in the journal."""
    rule = rules.get_rule(session, rule_id)
    step = Confirmation(
        title=f"Delete the rule {rule.pattern!r}?",
        consequence="Bank rows it matched will show as “no rule matched” in the next import. "
        "Entries it already posted stay in the journal. The rule cannot be brought back.",
        button="Delete rule",
        cancel="/ledger/rules",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    rules.delete_rule(session, rule_id)
    return RedirectResponse("/ledger/rules?done=deleted", status_code=303)
