"""CSV import, streamed: a preview (plan, first rows, counts, per-row errors) and the import
itself in chunks of a thousand rows, all in the caller's one transaction, so a fatal error
(a file that is not UTF-8 or not CSV) stores nothing. Re-importing is idempotent by email_key:
names and fields are updated, statuses move only as `rules.import_step` allows."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from evergreen.audience.errors import AudienceInputError
from evergreen.audience.models import (
    MEMBER_TABLES,
    ConsentEvent,
    ErasedAddress,
    Membership,
    Subscriber,
    SubscriberTag,
)
from evergreen.audience.rules import (
    ImportPlan,
    ImportRecord,
    RowError,
    Source,
    Status,
    import_step,
    map_row,
    plan_for,
)
from evergreen.audience.service.lists import get_list
from evergreen.audience.service.subscribers import erased_hashes, ip_hash
from evergreen.db import ANALYZE_FROM, analyze, utcnow

__all__ = ["ImportResult", "Preview", "preview_import", "run_import"]

_CHUNK = 1000
_MAX_ERRORS = 1000
Progress = Callable[[int, int], None]  # (rows done, bytes read)


@dataclass
class Preview:
    """What a file would import: the plan, its first rows, counts by status, and row errors."""

    plan: ImportPlan
    sample: list[ImportRecord | RowError] = field(default_factory=list)
    rows: int = 0
    valid: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        """As JSON."""
        return {
            **self.plan.to_dict(),
            "rows": self.rows,
            "valid": self.valid,
            "by_status": self.by_status,
            "error_count": self.error_count,
            "errors": [error.to_dict() for error in self.errors],
            "sample": [_sample(item) for item in self.sample],
        }


def _sample(item: ImportRecord | RowError) -> dict[str, Any]:
    if isinstance(item, RowError):
        return {"line": item.line, "error": item.to_dict()}
    return {
        "line": item.line,
        "email": item.email.email,
        "name": item.name,
        "status": item.status.value,
        "tags": list(item.tags),
        "fields": item.fields,
        "time_zone": item.time_zone,
    }


@dataclass
class ImportResult:
    """What an import did, in counts, and the rows it could not import."""

    format: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    subscribed: int = 0
    unsubscribed: int = 0
    suppressed: int = 0
    unchanged: int = 0
    erased_skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        """As JSON."""
        return {
            "format": self.format,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "subscribed": self.subscribed,
            "unsubscribed": self.unsubscribed,
            "suppressed": self.suppressed,
            "unchanged": self.unchanged,
            "erased_skipped": self.erased_skipped,
            "error_count": self.error_count,
            "errors": [e.to_dict() for e in self.errors],
        }


class _Counting(io.RawIOBase):
    """The upload as it is read, counting bytes for the progress bar."""

    def __init__(self, source: BinaryIO) -> None:
        self.source, self.read_bytes = source, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.source.read(len(buffer))
        buffer[: len(data)] = data
        self.read_bytes += len(data)
        return len(data)


def _rows(source: BinaryIO) -> tuple[_Counting, list[str], Iterator[tuple[int, list[str]]]]:
    """The header and then (line, cells) of each record, read lazily."""
    counting = _Counting(source)
    text = io.TextIOWrapper(io.BufferedReader(counting, 1 << 16), encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader, None)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise AudienceInputError(
            "file", f"cannot be read as UTF-8 CSV ({exc}); save it as UTF-8 CSV"
        ) from None
    if header is None:
        raise AudienceInputError("file", "is empty: the first line must be the header")

    def records() -> Iterator[tuple[int, list[str]]]:
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except (UnicodeDecodeError, csv.Error) as exc:
                raise AudienceInputError(
                    "file",
                    f"cannot be read as UTF-8 CSV after line {line - 1} ({exc}); "
                    "nothing was imported",
                ) from None
            if any(cell.strip() for cell in cells):
                yield line, cells

    return counting, header, records()


def preview_import(
    source: BinaryIO, overrides: Mapping[str, str] | None = None, *, sample: int = 10
) -> Preview:
    """Read the whole file (streamed) without storing anything: what would happen."""
    _counting, header, records = _rows(source)
    preview = Preview(plan_for(header, overrides))
    for line, cells in records:
        item = map_row(preview.plan, line, cells)
        preview.rows += 1
        if len(preview.sample) < sample:
            preview.sample.append(item)
        if isinstance(item, RowError):
            preview.error_count += 1
            if len(preview.errors) < _MAX_ERRORS:
                preview.errors.append(item)
        else:
            preview.valid += 1
            preview.by_status[item.status.value] = preview.by_status.get(item.status.value, 0) + 1
    return preview


def run_import(
    session: Session,
    secret: str,
    source: BinaryIO,
    list_id: int,
    *,
    overrides: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    form: str = "",
) -> ImportResult:
    """Import a CSV file into a list, streamed in chunks, in the caller's transaction."""
    audience_list = get_list(session, list_id)
    counting, header, records = _rows(source)
    plan = plan_for(header, overrides)
    result = ImportResult(plan.format.value)
    form = form or f"{plan.format.value} import"
    chunk: dict[str, ImportRecord] = {}
    for line, cells in records:
        item = map_row(plan, line, cells)
        result.rows += 1
        if isinstance(item, RowError):
            result.error_count += 1
            if len(result.errors) < _MAX_ERRORS:
                result.errors.append(item)
            continue
        if item.email.key in chunk:  # the same person twice in a chunk: one write, later wins
            _store(session, secret, audience_list.id, list(chunk.values()), result, form)
            chunk = {}
        chunk[item.email.key] = item
        if len(chunk) >= _CHUNK:
            _store(session, secret, audience_list.id, list(chunk.values()), result, form)
            chunk = {}
            if progress:
                progress(result.rows, counting.read_bytes)
    if chunk:
        _store(session, secret, audience_list.id, list(chunk.values()), result, form)
    if progress:
        progress(result.rows, counting.read_bytes)
    if result.rows >= ANALYZE_FROM:  # segments, counts and senders read these next
        analyze(session, *MEMBER_TABLES)
    return result


def _store(
    session: Session,
    secret: str,
    list_id: int,
    records: list[ImportRecord],
    result: ImportResult,
    form: str,
) -> None:
    """One chunk: people found or created in a few statements, then their list statuses.
    Everyone in the chunk, then their memberships, are held until the commit (in id order, as
    every writer takes a person before their memberships), so a status is decided on what is
    stored then, never on a read that an unsubscribe or a bounce has since overtaken."""
    keys = [record.email.key for record in records]
    people = _held(session, keys)
    missing = [record for record in records if record.email.key not in people]
    created: set[str] = set()
    if missing:
        hashes = {id(record): erased_hashes(secret, record.email) for record in missing}
        erased = set(
            session.scalars(
                select(ErasedAddress.key_hash).where(
                    ErasedAddress.key_hash.in_(set().union(*hashes.values()))
                )
            )
        )
        gone = {id(record) for record in missing if hashes[id(record)] & erased}
        for record in [record for record in missing if id(record) in gone]:
            result.erased_skipped += 1
            records.remove(record)
        fresh = [record for record in missing if id(record) not in gone]
        if fresh:
            created = _insert_people(session, fresh)
            result.created += len(created)
            people.update(_held(session, [record.email.key for record in fresh]))
    ids = [people[record.email.key].id for record in records]
    members = {
        member.subscriber_id: member
        for member in session.scalars(
            select(Membership)
            .where(Membership.list_id == list_id, Membership.subscriber_id.in_(ids))
            .order_by(Membership.subscriber_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    tags: dict[int, set[str]] = {}
    for subscriber_id, tag in session.execute(
        select(SubscriberTag.subscriber_id, SubscriberTag.tag).where(
            SubscriberTag.subscriber_id.in_(ids)
        )
    ):
        tags.setdefault(subscriber_id, set()).add(tag)
    now = utcnow()
    for record in records:
        person = people[record.email.key]
        if record.email.key not in created:
            _update(person, record, result)
        for tag in record.tags:
            if tag not in tags.setdefault(person.id, set()):
                session.add(SubscriberTag(subscriber_id=person.id, tag=tag))
                tags[person.id].add(tag)
        member = members.get(person.id)
        current = Status(member.status) if member is not None else None
        step = import_step(current, record.status, person.suppressed)
        if step.suppress and person.suppressed != Status.COMPLAINED.value:
            person.suppressed = step.suppress
        if step.status is not None and step.status != current:
            if member is None:
                session.add(
                    Membership(
                        subscriber_id=person.id,
                        list_id=list_id,
                        status=step.status.value,
                        created_at=now,
                        updated_at=now,
                    )
                )
            else:
                member.status, member.updated_at = step.status.value, now
        if step.event is None:
            result.unchanged += 1
            continue
        if step.status is Status.SUBSCRIBED or step.status is Status.UNCONFIRMED:
            result.subscribed += 1
        elif step.status is Status.UNSUBSCRIBED:
            result.unsubscribed += 1
        else:
            result.suppressed += 1
        when = record.opted_in_at if step.event == "opt_in" and record.opted_in_at else now
        detail = f"imported ({record.status.value}) from line {record.line}"
        if record.confirmed_at:
            detail += f"; confirmed {record.confirmed_at.isoformat()}"
        session.add(
            ConsentEvent(
                subscriber_id=person.id,
                list_id=list_id,
                action=step.event,
                at=when,
                source=Source.IMPORT.value,
                form=form[:200],
                wording="",
                ip_hash=ip_hash(secret, record.opt_in_ip),
                detail=detail[:500],
            )
        )
    session.flush()


def _held(session: Session, keys: list[str]) -> dict[str, Subscriber]:
    """The stored people with these address keys, held (FOR NO KEY UPDATE) and read afresh."""
    return {
        row.email_key: row
        for row in session.scalars(
            select(Subscriber)
            .where(Subscriber.email_key.in_(keys))
            .order_by(Subscriber.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    }


def _insert_people(session: Session, records: list[ImportRecord]) -> set[str]:
    """Add the people not stored yet; the keys of those added. One that another import or a
    sign-up adds meanwhile is left to it (and then updated like anyone already stored)."""
    now = utcnow()
    rows = [
        {
            "email": record.email.email,
            "email_key": record.email.key,
            "name": record.name,
            "fields": dict(record.fields),
            "time_zone": record.time_zone,
            "source": Source.IMPORT.value,
            "created_at": now,
            "updated_at": now,
        }
        for record in records
    ]
    make_insert = (
        postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    )
    statement = (
        make_insert(Subscriber)
        .on_conflict_do_nothing(index_elements=["email_key"])
        .returning(Subscriber.email_key)
    )
    return set(session.scalars(statement, rows))


def _update(person: Subscriber, record: ImportRecord, result: ImportResult) -> None:
    """A known person: the file's name, fields and time zone win where the file has them."""
    changed = False
    if record.name and record.name != person.name:
        person.name, changed = record.name, True
    if record.fields:
        merged = {**(person.fields or {}), **record.fields}
        if merged != person.fields:
            person.fields, changed = merged, True
    if record.time_zone and record.time_zone != person.time_zone:
        person.time_zone, changed = record.time_zone, True
    if changed:
        person.updated_at = utcnow()
        result.updated += 1
