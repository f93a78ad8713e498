"""Forms that add, change and remove the household's incomes, debts and living expenses.

Each kind gets the same four routes, owner only: add (POST /household/incomes), the edit form
(GET …/{item_id}/edit), save (POST …/{item_id}) and remove, once confirmed (POST …/remove).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from evergreen.errors import InputError
from evergreen.household.views.forms import KINDS, ItemKind
from evergreen.household.views.page import PREFIX, back, show_page
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DbId, OwnerUser, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)


async def _text_fields(request: Request) -> dict[str, str]:
    """A posted form's text fields by name (named after the rules' fields)."""
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


TextFields = Annotated[dict[str, str], Depends(_text_fields)]


def _edit_page(
    request: Request,
    kind: ItemKind,
    item_id: int,
    values: dict[str, str],
    *,
    error: InputError | None = None,
) -> Response:
    context: dict[str, Any] = {
        "title": f"Change {kind.one}",
        "kind": kind,
        "action": f"{PREFIX}/{kind.slug}/{item_id}",
        "values": values,
        "error": error,
    }
    return render(request, "household/edit.html", context, status_code=400 if error else 200)


def _register(kind: ItemKind) -> None:
    """The four routes of one kind of item."""
    base = f"/{kind.slug}"

    def add(
        request: Request,
        user: OwnerUser,
        _csrf: CsrfProtected,
        session: SessionDep,
        page: FormPageDep,
        form: TextFields,
    ) -> Response:
        page.on_error(
            lambda error: show_page(
                request, session, status_code=400, errors={kind.one: error},
                posted={kind.one: form},
            )
        )  # fmt: skip
        kind.add(session, kind.parse(form))
        return back(kind.one)

    def edit_form(
        request: Request, user: OwnerUser, session: SessionDep, item_id: DbId
    ) -> Response:
        return _edit_page(request, kind, item_id, kind.values(kind.get(session, item_id)))

    def save(
        request: Request,
        user: OwnerUser,
        _csrf: CsrfProtected,
        session: SessionDep,
        page: FormPageDep,
        form: TextFields,
        item_id: DbId,
    ) -> Response:
        kind.get(session, item_id)  # a missing item is a 404, not a form error
        page.on_error(lambda error: _edit_page(request, kind, item_id, form, error=error))
        kind.update(session, item_id, kind.parse(form))
        return back("changed")

    def remove(
        request: Request,
        user: OwnerUser,
        _csrf: CsrfProtected,
        session: SessionDep,
        form: TextFields,
        item_id: DbId,
    ) -> Response:
        what = kind.label(kind.get(session, item_id))
        step = Confirmation(
            title=f"Remove {what}?",
            consequence=f"It stops counting in the household's figures at once; to count "
            f"{what} again, add it again.",
            button="Remove",
            cancel=PREFIX,
        )
        if (asked := ask_first(request, form.get("confirm", ""), step)) is not None:
            return asked
        kind.remove(session, item_id)
        return back("removed")

    add.__doc__ = f"Owner only: record {kind.one_article}."
    edit_form.__doc__ = f"Owner only: the form that changes {kind.one_article}."
    save.__doc__ = f"Owner only: change {kind.one_article}."
    remove.__doc__ = f"Owner only, once confirmed: stop counting {kind.one_article}."
    for endpoint, path, method, name in (
        (add, base, "POST", f"add_{kind.one}"),
        (edit_form, f"{base}/{{item_id}}/edit", "GET", f"edit_{kind.one}"),
        (save, f"{base}/{{item_id}}", "POST", f"save_{kind.one}"),
        (remove, f"{base}/{{item_id}}/remove", "POST", f"remove_{kind.one}"),
    ):
        router.add_api_route(path, endpoint, methods=[method], name=name)


for _kind in KINDS.values():
    _register(_kind)
