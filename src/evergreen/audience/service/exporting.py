"""Exports: a list as CSV in Evergreen's own format (which the import recognises), and one
person's data as JSON (GDPR access), and erasure (GDPR erase)."""

from __future__ import annotations

from typing import Any, TextIO

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.audience import queries
from evergreen.audience.models import (
    Activity,
    AudienceList,
    ConsentEvent,
    ErasedAddress,
    Membership,
)
from evergreen.audience.rules import EVERGREEN_HEADER, overall_status
from evergreen.audience.service.lists import get_list
from evergreen.audience.service.subscribers import erased_hash, get_subscriber
from evergreen.csvfile import CsvWriter

__all__ = ["erase", "export_csv", "personal_data"]


def export_csv(session: Session, out: TextIO, list_id: int | None = None) -> int:
    """Write a list's members (or everyone) as CSV, streamed in id order; the rows written."""
    if list_id is not None:
        get_list(session, list_id)
    writer = CsvWriter(out)
    writer.writerow(EVERGREEN_HEADER)
    count = 0
    for batch in queries.export_batches(session, list_id):
        for row in batch:
            writer.writerow(
                [
                    row.email,
                    row.name,
                    row.status,
                    row.time_zone or "",
                    ", ".join(row.tags),
                    orjson.dumps(row.fields).decode() if row.fields else "",
                    row.created_at.isoformat(),
                ]
            )
            count += 1
    return count


def personal_data(session: Session, subscriber_id: int) -> dict[str, Any]:
    """Everything kept about one person, as JSON (their GDPR access request)."""
    person = get_subscriber(session, subscriber_id)
    lists = session.execute(
        select(AudienceList.name, Membership.status, Membership.created_at, Membership.updated_at)
        .join(AudienceList, AudienceList.id == Membership.list_id)
        .where(Membership.subscriber_id == person.id)
        .order_by(AudienceList.name)
    ).all()
    names = {i: n for i, n in session.execute(select(AudienceList.id, AudienceList.name))}  # noqa: C416
    consent = session.scalars(
        select(ConsentEvent)
        .where(ConsentEvent.subscriber_id == person.id)
        .order_by(ConsentEvent.at, ConsentEvent.id)
    ).all()
    activity = session.scalars(
        select(Activity).where(Activity.subscriber_id == person.id).order_by(Activity.at)
    ).all()
    return {
        "email": person.email,
        "name": person.name,
        "status": overall_status([row.status for row in lists], person.suppressed).value,
        "fields": person.fields or {},
        "time_zone": person.time_zone,
        "tags": queries.tags_of(session, person.id),
        "source": person.source,
        "suppressed": person.suppressed,
        "created_at": person.created_at.isoformat(),
        "lists": [
            {
                "list": name,
                "status": status,
                "joined_at": joined.isoformat(),
                "changed_at": changed.isoformat(),
            }
            for name, status, joined, changed in lists
        ],
        "consent": [
            {
                "at": event.at.isoformat(),
                "action": event.action,
                "list": names.get(event.list_id) if event.list_id else None,
                "source": event.source,
                "form": event.form,
                "wording": event.wording,
                "ip_hash": event.ip_hash,
                "detail": event.detail,
            }
            for event in consent
        ],
        "activity": [
            {"at": item.at.isoformat(), "kind": item.kind, "ref": item.ref} for item in activity
        ],
    }


def erase(session: Session, secret: str, subscriber_id: int) -> None:
    """Delete a person and all their history; only a keyed hash of the address is kept, on
    the erased list, so a later import or API call does not bring them back (their own
    sign-up still can)."""
    person = get_subscriber(session, subscriber_id)
    key_hash = erased_hash(secret, person.email_key)
    session.delete(person)
    session.flush()
    if session.get(ErasedAddress, key_hash) is None:
        try:
            with session.begin_nested():
                session.add(ErasedAddress(key_hash=key_hash))
                session.flush()
        except IntegrityError:  # erased twice at the same moment
            pass
