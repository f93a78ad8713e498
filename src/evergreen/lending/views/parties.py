"""Borrowers and properties: lists for staff, add and edit forms for the owner.

Both are one shape, `_Party`: the list (GET /lending/borrowers), add (POST /lending/borrowers),
the edit form (GET …/{borrower_id}/edit) and save (POST …/{borrower_id}), by the same routes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.errors import InputError
from evergreen.lending import queries, service
from evergreen.lending.views.common import PREFIX, TextFields, money
from evergreen.money import show_amount
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import MAX_ID, DashboardUser, DbId, OwnerUser, SessionDep
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@dataclass(frozen=True)
class _Party:
    """Borrowers or properties: what their pages show and the service calls that change them."""

    one: str  # "borrower": the form's name, the edit page's "Change borrower"
    many: str  # "borrowers": the path and the list's template
    fields: tuple[str, ...]  # the form's fields, in the draft's order
    rows: Callable[[Session], Sequence[Any]]  # the list
    get: Callable[[Session, int], Any]  # one, or NotFound
    add: Callable[[Session, Any], Any]
    update: Callable[[Session, int, Any], Any]
    draft: Callable[..., Any]  # the service's draft from the fields' text
    docs: tuple[str, str, str, str]  # the list, add, the edit form, save

    def drafted(self, form: dict[str, str]) -> Any:
        """The posted form as the service's draft."""
        return self.draft(*(form.get(n, "") for n in self.fields))


_PARTIES = (
    _Party("borrower", "borrowers", ("name", "kind", "email", "phone", "notes"),
           queries.borrower_rows, service.get_borrower, service.add_borrower,
           service.update_borrower, service.BorrowerDraft,
           ("Every borrower with their loans and what they owe.",
            "Owner only: add a borrower (names are unique).",
            "Owner only: the form that changes a borrower.",
            "Owner only: change a borrower's name or contacts.")),
    _Party("property", "properties", ("address", "purchase_price", "rehab_budget", "arv"),
           service.properties, service.get_property, service.add_property,
           service.update_property, service.PropertyDraft,
           ("Every property with its price, rehab budget and after-repair value.",
            "Owner only: add a property to lend against.",
            "Owner only: the form that changes a property.",
            "Owner only: change a property's address or amounts.")),
)  # fmt: skip


def _boxed(value: object) -> str:
    """A stored value put back in its form box: an amount exact and plain (59.10, not the
    database's 59.1000), nothing for none."""
    if value is None:
        return ""
    return show_amount(value) if isinstance(value, Decimal) else str(value)


def _list(
    request: Request, session: Session, party: _Party, *, posted: dict[str, str] | None = None,
    error: InputError | None = None, done: str = "",
) -> Response:  # fmt: skip
    context: dict[str, Any] = {
        "title": party.many.capitalize(), "rows": party.rows(session), "money": money,
        "posted": posted or {}, "errors": {party.one: error} if error else {}, "done": done,
    }  # fmt: skip
    return render(request, f"lending/{party.many}.html", context,
                  status_code=400 if error else 200)  # fmt: skip


def _edit(
    request: Request, party: _Party, item_id: int, values: dict[str, Any],
    error: InputError | None,
) -> Response:  # fmt: skip
    context: dict[str, Any] = {
        "title": f"Change {party.one}",
        "what": party.one,
        "action": f"{PREFIX}/{party.many}/{item_id}",
        "posted": values,
        "errors": {party.one: error} if error else {},
    }
    return render(request, "lending/edit.html", context, status_code=400 if error else 200)


def _register(party: _Party) -> None:
    """The four routes of borrowers or of properties."""
    base = f"/{party.many}"
    saved = f"{PREFIX}{base}?done=1"

    def list_page(
        request: Request, user: DashboardUser, session: SessionDep, done: str = ""
    ) -> Response:
        return _list(request, session, party, done="Saved." if done else "")

    def add(
        request: Request, user: OwnerUser, _csrf: CsrfProtected, session: SessionDep,
        page: FormPageDep, form: TextFields,
    ) -> Response:  # fmt: skip
        page.on_error(lambda error: _list(request, session, party, posted=form, error=error))
        party.add(session, party.drafted(form))
        return RedirectResponse(saved, status_code=303)

    def edit_form(
        request: Request, user: OwnerUser, session: SessionDep, item_id: DbId
    ) -> Response:
        row = party.get(session, item_id)
        values = {n: _boxed(getattr(row, n)) for n in party.fields}
        return _edit(request, party, item_id, values, None)

    def save(
        request: Request, user: OwnerUser, _csrf: CsrfProtected, session: SessionDep,
        page: FormPageDep, form: TextFields, item_id: DbId,
    ) -> Response:  # fmt: skip
        party.get(session, item_id)  # a missing one is a 404, not a form error
        page.on_error(lambda error: _edit(request, party, item_id, form, error))
        party.update(session, item_id, party.drafted(form))
        return RedirectResponse(saved, status_code=303)

    # The path names the ID after what it is (`borrower_id`), as a refusal of it says.
    named_id = Annotated[int, Path(alias=f"{party.one}_id", ge=1, le=MAX_ID,
                                   description="A row's ID.")]  # fmt: skip
    one_id = f"{{{party.one}_id}}"
    routes: tuple[tuple[Callable[..., Response], str, str, str], ...] = (
        (list_page, base, "GET", f"{party.many}_page"),
        (add, base, "POST", f"add_{party.one}"),
        (edit_form, f"{base}/{one_id}/edit", "GET", f"edit_{party.one}_page"),
        (save, f"{base}/{one_id}", "POST", f"save_{party.one}"),
    )
    for (endpoint, path, method, name), doc in zip(routes, party.docs, strict=True):
        endpoint.__doc__ = doc
        if "item_id" in endpoint.__annotations__:
            endpoint.__annotations__["item_id"] = named_id
        router.add_api_route(path, endpoint, methods=[method], name=name)


for _party in _PARTIES:
    _register(_party)
