"""/api/v1/audience/forms: the owner's sign-up forms — create, read, change, delete — with each
form's hosted page address and embeddable snippet. Staff read; the owner writes. (The public
endpoint a form's page posts to is api/forms.py.)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from evergreen.audience.models import Form
from evergreen.audience.service import forms
from evergreen.audience.snippet import form_snippet
from evergreen.siteurl import site_url
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import MAX_ID, ApiOwner, ApiStaff, DbId, SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/audience/forms", tags=["audience"])
ListId = Annotated[int, Field(ge=1, le=MAX_ID)]
FieldName = Annotated[str, Field(max_length=100)]
Origin = Annotated[str, Field(max_length=2048)]


class FormIn(RequestBody):
    """A sign-up form: the lists it joins (by id), the consent wording recorded with every
    opt-in it makes, what it asks and what it says afterwards."""

    name: str = Field(max_length=100)
    slug: str = Field(max_length=60, description="Its public address: /f/<slug>")
    list_ids: list[ListId] = Field(min_length=1, max_length=100)
    wording: str = Field(max_length=5000, description="The consent wording shown and recorded")
    heading: str = Field("", max_length=200)
    intro: str = Field("", max_length=5000)
    ask_name: bool = True
    field_names: list[FieldName] = Field(
        default_factory=list, max_length=20, description="Custom subscriber fields it asks"
    )
    button: str = Field("Subscribe", max_length=60)
    thank_you: str = Field("", max_length=5000)
    redirect_url: str = Field("", max_length=2048, description="Where to go after (http/https)")
    allowed_origins: list[Origin] = Field(
        default_factory=list, max_length=50, description="Sites whose pages may post; none: any"
    )
    enabled: bool = True


class FormPatch(RequestBody):
    """What to change of a form; what is left out stays."""

    name: str | None = Field(None, max_length=100)
    slug: str | None = Field(None, max_length=60)
    list_ids: list[ListId] | None = Field(None, min_length=1, max_length=100)
    wording: str | None = Field(None, max_length=5000)
    heading: str | None = Field(None, max_length=200)
    intro: str | None = Field(None, max_length=5000)
    ask_name: bool | None = None
    field_names: list[FieldName] | None = Field(None, max_length=20)
    button: str | None = Field(None, max_length=60)
    thank_you: str | None = Field(None, max_length=5000)
    redirect_url: str | None = Field(None, max_length=2048)
    allowed_origins: list[Origin] | None = Field(None, max_length=50)
    enabled: bool | None = None


def _out(request: Request, row: Form) -> dict[str, Any]:
    base = site_url(request).rstrip("/")
    return {
        "id": row.id, "name": row.name, "slug": row.slug, "list_ids": list(row.list_ids or []),
        "wording": row.wording, "heading": row.heading, "intro": row.intro,
        "ask_name": row.ask_name, "field_names": list(row.field_names or []),
        "button": row.button, "thank_you": row.thank_you, "redirect_url": row.redirect_url or "",
        "allowed_origins": [o for o in (row.allowed_origins or "").splitlines() if o],
        "enabled": row.enabled, "submissions": row.submissions,
        "page_url": f"{base}/f/{row.slug}",
        "snippet": form_snippet(row, base),
    }  # fmt: skip


@router.get("", operation_id="list_audience_forms")
def list_forms(request: Request, session: SessionDep, user: ApiStaff) -> list[dict[str, Any]]:
    """Every sign-up form, by name, with its page address, snippet and submissions."""
    return [_out(request, row) for row in forms.list_forms(session)]


@router.post("", status_code=201, operation_id="create_audience_form")
def create_form(
    request: Request, body: FormIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: a new sign-up form (409 when its slug is taken)."""
    data = forms.FormInput(
        **{**body.model_dump(), "allowed_origins": "\n".join(body.allowed_origins)}
    )
    return _out(request, forms.create_form(session, data))


@router.get("/{form_id}", operation_id="get_audience_form")
def get_form(
    request: Request, form_id: DbId, session: SessionDep, user: ApiStaff
) -> dict[str, Any]:
    """One sign-up form."""
    return _out(request, forms.get_form(session, form_id))


@router.patch("/{form_id}", operation_id="update_audience_form")
def update_form(
    request: Request, form_id: DbId, body: FormPatch, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: change a form; opt-ins already made keep the wording they were made with."""
    changes = body.model_dump(exclude_none=True)
    if "allowed_origins" in changes:
        changes["allowed_origins"] = "\n".join(changes["allowed_origins"])
    data = forms.form_input(forms.get_form(session, form_id), **changes)
    return _out(request, forms.update_form(session, form_id, data))


@router.delete("/{form_id}", status_code=204, operation_id="delete_audience_form")
def delete_form(form_id: DbId, session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: delete a form; the people it signed up and their consent records stay."""
    forms.delete_form(session, form_id)
    return Response(status_code=204)
