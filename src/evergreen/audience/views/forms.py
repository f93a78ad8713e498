"""The owner's sign-up forms: the list, a new form, one form (edit, embeddable snippet,
submissions), delete with confirmation. Staff see them; the owner changes them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.audience import queries
from evergreen.audience.models import Form as FormRow
from evergreen.audience.rules.forms import DEFAULT_WORDING
from evergreen.audience.service import forms
from evergreen.audience.snippet import form_snippet
from evergreen.mail.transactional import mail_problem
from evergreen.siteurl import site_url
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep, SettingsDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/audience/forms", include_in_schema=False)
Text = Annotated[str, Form(max_length=10_000)]


def _entered(row: FormRow | None) -> dict[str, Any]:
    if row is None:
        return {"name": "", "slug": "", "list_ids": [], "wording": DEFAULT_WORDING,
                "heading": "", "intro": "", "ask_name": True, "field_names": "",
                "button": "Subscribe", "thank_you": "", "redirect_url": "",
                "allowed_origins": "", "enabled": True}  # fmt: skip
    return {**asdict(forms.form_input(row)), "field_names": ", ".join(row.field_names or [])}


def _snippet(request: Request, row: FormRow) -> str:
    """The HTML to paste on another site: a form that posts to the JSON endpoint with a fresh
    token from it, and without JavaScript opens the hosted page with the address filled in."""
    return form_snippet(row, site_url(request))


def _edit_page(
    request: Request,
    session: Session,
    settings: Any,
    row: FormRow | None,
    *,
    entered: dict[str, Any] | None = None,
    error: Any = None,
    status_code: int = 200,
    done: str = "",
) -> Response:
    context = {
        "title": row.name if row is not None else "New form",
        "row": row,
        "entered": entered or _entered(row),
        "lists": queries.list_counts(session),
        "error": error,
        "done": done,
        "mail_problem": mail_problem(settings),
        "snippet": _snippet(request, row) if row is not None else "",
        "base": site_url(request).rstrip("/"),
    }
    return render(request, "audience/forms_edit.html", context, status_code=status_code)


def _input(
    name: str, slug: str, lists: list[int] | None, wording: str, heading: str, intro: str,
    ask_name: str, field_names: str, button: str, thank_you: str, redirect_url: str,
    allowed_origins: str, enabled: str,
) -> tuple[forms.FormInput, dict[str, Any]]:  # fmt: skip
    names = [part.strip() for part in field_names.split(",") if part.strip()]
    data = forms.FormInput(
        name=name, slug=slug.strip().lower(), list_ids=lists or [], wording=wording,
        heading=heading, intro=intro, ask_name=bool(ask_name), field_names=names,
        button=button, thank_you=thank_you, redirect_url=redirect_url,
        allowed_origins=allowed_origins, enabled=bool(enabled),
    )  # fmt: skip
    entered = {**data.__dict__, "list_ids": list(data.list_ids), "field_names": field_names}
    return data, entered


@router.get("")
def forms_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: DashboardUser
) -> Response:
    """Every form with its address and submissions, and whether mail can be sent."""
    rows = forms.list_forms(session)
    names = {row.id: row.name for row in queries.list_counts(session)}
    context = {
        "title": "Sign-up forms",
        "rows": rows,
        "list_names": names,
        "mail_problem": mail_problem(settings),
        "done": "Form deleted." if request.query_params.get("done") == "deleted" else "",
    }
    return render(request, "audience/forms.html", context)


@router.get("/new")
def new_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: OwnerUser
) -> Response:
    """An empty form to fill in."""
    return _edit_page(request, session, settings, None)


@router.post("/new")
def create(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    name: Text = "", slug: Text = "", lists: Annotated[list[int] | None, Form()] = None,
    wording: Text = "", heading: Text = "", intro: Text = "", ask_name: Text = "",
    field_names: Text = "", button: Text = "", thank_you: Text = "", redirect_url: Text = "",
    allowed_origins: Text = "", enabled: Text = "",
) -> Response:  # fmt: skip
    """Create the form and open its page (with the snippet to embed)."""
    data, entered = _input(name, slug, lists, wording, heading, intro, ask_name, field_names,
                           button, thank_you, redirect_url, allowed_origins, enabled)  # fmt: skip
    form.on_error(
        lambda error: _edit_page(
            request, session, settings, None, entered=entered, error=error, status_code=400
        )
    )
    row = forms.create_form(session, data)
    return RedirectResponse(f"/audience/forms/{row.id}?done=created", status_code=303)


@router.get("/{form_id}")
def form_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: DashboardUser,
    form_id: DbId,
    done: str = "",
) -> Response:
    """One form: its settings, its address, the snippet to embed, how many posted."""
    row = forms.get_form(session, form_id)
    said = {"created": "Form created.", "saved": "Form saved."}.get(done, "")
    return _edit_page(request, session, settings, row, done=said)


@router.post("/{form_id}")
def update(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    form_id: DbId,
    name: Text = "", slug: Text = "", lists: Annotated[list[int] | None, Form()] = None,
    wording: Text = "", heading: Text = "", intro: Text = "", ask_name: Text = "",
    field_names: Text = "", button: Text = "", thank_you: Text = "", redirect_url: Text = "",
    allowed_origins: Text = "", enabled: Text = "",
) -> Response:  # fmt: skip
    """Save the form's changes; opt-ins already made keep the wording they were given with."""
    row = forms.get_form(session, form_id)
    data, entered = _input(name, slug, lists, wording, heading, intro, ask_name, field_names,
                           button, thank_you, redirect_url, allowed_origins, enabled)  # fmt: skip
    form.on_error(
        lambda error: _edit_page(
            request,
            session,
            settings,
            forms.get_form(session, form_id),
            entered=entered,
            error=error,
            status_code=400,
        )
    )
    forms.update_form(session, row.id, data)
    return RedirectResponse(f"/audience/forms/{row.id}?done=saved", status_code=303)


@router.post("/{form_id}/delete")
def delete(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form_id: DbId,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Delete a form, once confirmed; the people it signed up stay, with their consent."""
    row = forms.get_form(session, form_id)
    step = Confirmation(
        title=f"Delete the form {row.name}?",
        consequence=f"/f/{row.slug} stops answering and pages that embed it can no longer sign "
        "anyone up. The people it signed up stay on their lists with their consent records. "
        "This cannot be undone; to stop it for a while, untick Enabled instead.",
        button="Delete form",
        cancel=f"/audience/forms/{row.id}",
    )
    asked = ask_first(request, confirm, step)
    if asked is not None:
        return asked
    forms.delete_form(session, row.id)
    return RedirectResponse("/audience/forms?done=deleted", status_code=303)
