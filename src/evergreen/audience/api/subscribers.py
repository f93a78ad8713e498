"""/api/v1/audience/subscribers: subscribe, read, search, change, unsubscribe, export, erase."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from evergreen.audience import queries, service
from evergreen.audience.errors import AudienceInputError
from evergreen.audience.rules import Source
from evergreen.audience.service import Consent
from evergreen.errors import NotFound
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import (
    MAX_ID,
    ApiOwner,
    ApiStaff,
    DbId,
    DbIdQuery,
    PageNumber,
    SessionDep,
)

__all__ = ["router"]

router = APIRouter(prefix="/audience/subscribers", tags=["audience"])


class SubscribeIn(RequestBody):
    """Someone joining lists, with the consent they gave: the form and the exact wording."""

    email: str = Field(max_length=400)
    list_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=50)
    name: str | None = Field(None, max_length=300)
    fields: dict[str, Any] | None = None
    tags: list[str] = Field(default_factory=list, max_length=100)
    time_zone: str | None = Field(None, max_length=64)
    source: str = Field("api", description="form, import, api, partner, webinar, purchase.")
    form: str = Field("", max_length=200)
    wording: str = Field("", max_length=5000, description="The words the person agreed to.")
    ip: str | None = Field(None, max_length=64, description="Kept only as a keyed hash.")


class SubscriberPatch(RequestBody):
    """What to change; what is left out stays (time_zone null clears it)."""

    name: str | None = Field(None, max_length=300)
    fields: dict[str, Any] | None = None
    time_zone: str | None = Field(None, max_length=64)
    add_tags: list[str] = Field(default_factory=list, max_length=100)
    remove_tags: list[str] = Field(default_factory=list, max_length=100)


class UnsubscribeIn(RequestBody):
    """One list, or every list when left out."""

    list_id: int | None = Field(None, ge=1, le=MAX_ID)


def _card(card: queries.SubscriberCard) -> dict[str, Any]:
    return {
        "id": card.id,
        **queries.show(card),
        "name": card.name,
        "tags": card.tags,
        "time_zone": card.time_zone,
        "suppressed": card.suppressed,
        "created_at": card.created_at.isoformat(),
    }


def _found(session: SessionDep, subscriber_id: int) -> dict[str, Any]:
    card = queries.card(session, subscriber_id)
    if card is None:
        raise NotFound("subscriber_id", f"no subscriber {subscriber_id}")
    return _card(card)


@router.get("", operation_id="search_subscribers")
def search(
    session: SessionDep,
    user: ApiStaff,
    q: Annotated[str, Query(max_length=200, description="Part of an address or name.")] = "",
    list_id: DbIdQuery = None,
    status: Annotated[str, Query(max_length=20)] = "",
    tag: Annotated[str, Query(max_length=100)] = "",
    page: PageNumber = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Subscribers by address or name, list, status and tag; newest first, a page at a time."""
    found = queries.search(
        session, text=q, list_id=list_id, status=status, tag=tag, page=page, per_page=per_page
    )
    return {
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
        "subscribers": [_card(card) for card in found.rows],
    }


@router.post("", operation_id="subscribe_subscriber")
def subscribe(
    body: SubscribeIn, request: Request, response: Response, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: subscribe someone to lists (201 when the person is new, 200 otherwise);
    a double opt-in list leaves them unconfirmed and the answer carries its confirmation token."""
    try:
        source = Source(body.source)
    except ValueError:
        raise AudienceInputError(
            "source", "must be form, import, api, partner, webinar, purchase or manual"
        ) from None
    consent = Consent(source, form=body.form, wording=body.wording, ip=body.ip)
    secret = request.app.state.secret
    outcomes: dict[str, Any] = {}
    created = False
    subscriber_id = 0
    for list_id in dict.fromkeys(body.list_ids):
        try:
            service.get_list(session, list_id)
        except NotFound:  # a list named in the body: the body is wrong, nothing is stored
            raise AudienceInputError("list_ids", f"there is no list {list_id}") from None
        done = service.subscribe(
            session,
            secret,
            body.email,
            list_id,
            consent,
            name=body.name,
            fields=body.fields,
            tags=body.tags,
            time_zone=body.time_zone,
        )
        created = created or done.created
        subscriber_id = done.subscriber.id
        outcomes[str(list_id)] = {"status": done.status.value, "confirm_token": done.token}
    response.status_code = 201 if created else 200
    return {**_found(session, subscriber_id), "subscriptions": outcomes}


@router.get("/{subscriber_id}", operation_id="get_subscriber")
def get_one(subscriber_id: DbId, session: SessionDep, user: ApiStaff) -> dict[str, Any]:
    """One subscriber: status, lists, fields, tags."""
    return _found(session, subscriber_id)


@router.patch("/{subscriber_id}", operation_id="update_subscriber")
def update(
    subscriber_id: DbId, body: SubscriberPatch, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: change a subscriber's name, fields, time zone or tags."""
    changes: dict[str, Any] = {"name": body.name, "fields": body.fields}
    if "time_zone" in body.model_fields_set:
        changes["time_zone"] = body.time_zone
    service.update_subscriber(session, subscriber_id, **changes)
    if body.add_tags:
        service.add_tags(session, subscriber_id, body.add_tags)
    if body.remove_tags:
        service.remove_tags(session, subscriber_id, body.remove_tags)
    return _found(session, subscriber_id)


@router.post("/{subscriber_id}/unsubscribe", operation_id="unsubscribe_subscriber")
def unsubscribe(
    subscriber_id: DbId,
    body: UnsubscribeIn,
    request: Request,
    session: SessionDep,
    user: ApiOwner,
) -> dict[str, Any]:
    """Owner only: take someone off one list, or every list."""
    consent = Consent(Source.MANUAL, form=f"API ({user.email})")
    service.unsubscribe(session, request.app.state.secret, subscriber_id, body.list_id, consent)
    return _found(session, subscriber_id)


@router.get("/{subscriber_id}/export", operation_id="export_subscriber_data")
def personal_data(subscriber_id: DbId, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: everything kept about one person (a GDPR access request)."""
    return service.personal_data(session, subscriber_id)


@router.delete("/{subscriber_id}", status_code=204, operation_id="erase_subscriber")
def erase(subscriber_id: DbId, request: Request, session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: erase a person (GDPR); only a keyed hash of the address is kept."""
    service.erase(session, request.app.state.secret, subscriber_id)
    return Response(status_code=204)
