"""CSV imports as pure decisions: which tool exported a file (from its header alone), which
column means what, and each row → a subscriber record or an error naming its line.

Recognised headers:

- Mailchimp: ``Email Address``, ``First Name``, ``Last Name``, ``OPTIN_TIME``, ``OPTIN_IP``,
  ``CONFIRM_TIME``, ``CONFIRM_IP``, ``TIMEZONE``, ``TAGS`` …; its unsubscribed export (with
  ``UNSUB_TIME``) imports every row as unsubscribed, its cleaned export (``CLEAN_TIME``) as
  bounced, so neither file ever subscribes anyone.
- Kit (ConvertKit): ``email`` or ``email_address`` with ``first_name``, ``last_name``,
  ``created_at``, ``tags``, ``state``/``status`` (active, inactive, cancelled, bounced,
  complained); other columns are custom fields.
- listmonk: ``email,name,attributes`` (attributes a JSON object), and its export
  ``uuid,email,name,attributes,status,created_at,updated_at`` (enabled, disabled, blocklisted).
- Evergreen's own export: ``email,name,status,time_zone,tags,fields,created_at``.
- Anything else with an email column (``email``, ``e-mail``, ``email address``) is a plain CSV:
  the other columns are mapped by name and can be re-mapped before importing.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson

from evergreen.audience.errors import AudienceInputError
from evergreen.audience.rules.consent import Status
from evergreen.audience.rules.emails import CheckedEmail, check_email
from evergreen.audience.rules.inputs import (
    check_fields,
    check_name,
    check_tags,
    check_time_zone,
    split_tags,
)
from evergreen.csvfile import restore_cell

__all__ = [
    "EVERGREEN_HEADER",
    "ROLES",
    "ImportFormat",
    "ImportPlan",
    "ImportRecord",
    "ImportStep",
    "RowError",
    "detect_format",
    "field_name_of",
    "import_step",
    "map_row",
    "plan_for",
]

EVERGREEN_HEADER = ("email", "name", "status", "time_zone", "tags", "fields", "created_at")


class ImportFormat(StrEnum):
    """The tool that wrote a CSV file."""

    MAILCHIMP = "mailchimp"
    KIT = "kit"
    LISTMONK = "listmonk"
    EVERGREEN = "evergreen"
    PLAIN = "plain"


# What a column can mean; "field:NAME" is a custom field, "" ignores the column.
ROLES = (
    "email",
    "name",
    "first_name",
    "last_name",
    "tags",
    "time_zone",
    "status",
    "attributes",
    "fields_json",
    "opted_in_at",
    "opt_in_ip",
    "confirmed_at",
    "confirm_ip",
    "",
)

# Every tool's status words, one table: anything that is not plainly a yes is never subscribed.
_STATUS_WORDS: dict[str, Status] = {
    "": Status.SUBSCRIBED,
    "subscribed": Status.SUBSCRIBED,
    "active": Status.SUBSCRIBED,
    "enabled": Status.SUBSCRIBED,
    "confirmed": Status.SUBSCRIBED,
    "unconfirmed": Status.UNCONFIRMED,
    "pending": Status.UNCONFIRMED,
    "unsubscribed": Status.UNSUBSCRIBED,
    "cancelled": Status.UNSUBSCRIBED,
    "canceled": Status.UNSUBSCRIBED,
    "inactive": Status.UNSUBSCRIBED,
    "disabled": Status.UNSUBSCRIBED,
    "blocklisted": Status.UNSUBSCRIBED,
    "bounced": Status.BOUNCED,
    "cleaned": Status.BOUNCED,
    "complained": Status.COMPLAINED,
}

_MAILCHIMP_ROLES = {
    "Email Address": "email",
    "First Name": "first_name",
    "Last Name": "last_name",
    "OPTIN_TIME": "opted_in_at",
    "OPTIN_IP": "opt_in_ip",
    "CONFIRM_TIME": "confirmed_at",
    "CONFIRM_IP": "confirm_ip",
    "TIMEZONE": "time_zone",
    "TAGS": "tags",
}
# Mailchimp's bookkeeping columns: not the person's data.
_MAILCHIMP_SKIP = re.compile(
    r"^(MEMBER_RATING|LATITUDE|LONGITUDE|GMTOFF|DSTOFF|CC|REGION|LAST_CHANGED|LEID|EUID|NOTES"
    r"|UNSUB_.*|CLEAN_.*|SSL_.*|MARKETING_PERMISSIONS)$"
)
_KNOWN = {
    "email": "email",
    "email_address": "email",
    "e-mail": "email",
    "email address": "email",
    "name": "name",
    "first_name": "first_name",
    "first name": "first_name",
    "last_name": "last_name",
    "last name": "last_name",
    "tags": "tags",
    "time_zone": "time_zone",
    "timezone": "time_zone",
    "status": "status",
    "state": "status",
    "attributes": "attributes",
    "fields": "fields_json",
    "created_at": "opted_in_at",
}
_IGNORED = frozenset({"uuid", "id", "updated_at"})
_MAX_COLUMNS = 200


@dataclass(frozen=True)
class ImportPlan:
    """How to read a file: its format, one role per column, and a status forced on every row
    (Mailchimp's unsubscribed and cleaned exports)."""

    format: ImportFormat
    header: tuple[str, ...]
    roles: tuple[str, ...]
    file_status: Status | None = None

    def to_dict(self) -> dict[str, Any]:
        """As JSON for the API and the import page."""
        return {
            "format": self.format.value,
            "file_status": self.file_status.value if self.file_status else None,
            "columns": [
                {"column": c, "role": r} for c, r in zip(self.header, self.roles, strict=True)
            ],
        }


@dataclass(frozen=True)
class ImportRecord:
    """One row as a subscriber: what the import stores or updates."""

    line: int
    email: CheckedEmail
    name: str
    status: Status
    fields: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    time_zone: str | None = None
    opted_in_at: datetime | None = None
    opt_in_ip: str | None = None
    confirmed_at: datetime | None = None


@dataclass(frozen=True)
class RowError:
    """A row that cannot be imported: its line in the file, the column and why."""

    line: int
    field: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """As JSON."""
        return {"line": self.line, "field": self.field, "message": self.message}


def field_name_of(column: str) -> str:
    """A custom field's name for a column: `Company Name` → `company_name`."""
    name = re.sub(r"[^a-z0-9]+", "_", column.strip().lower()).strip("_")
    if not name:
        name = "column"
    if not name[0].isalpha():
        name = "f_" + name
    return name[:40]


def _clean_header(header: Sequence[str]) -> tuple[str, ...]:
    cells = [cell.strip() for cell in header]
    if cells:
        cells[0] = cells[0].lstrip("\ufeff").strip()
    if not cells or not any(cells):
        raise AudienceInputError("file", "is empty: the first line must be the header")
    if len(cells) > _MAX_COLUMNS:
        raise AudienceInputError("file", f"has more than {_MAX_COLUMNS} columns")
    lowered = [cell.lower() for cell in cells]
    repeated = sorted({cell for cell in lowered if cell and lowered.count(cell) > 1})
    if repeated:
        raise AudienceInputError("file", f"the header names {', '.join(repeated)} twice")
    return tuple(cells)


def detect_format(header: Sequence[str]) -> ImportFormat:
    """Which tool wrote the file, from its header alone."""
    cells = _clean_header(header)
    lowered = {cell.lower() for cell in cells}
    if "Email Address" in cells:
        return ImportFormat.MAILCHIMP
    if "email" in lowered and "attributes" in lowered:
        return ImportFormat.LISTMONK
    if set(EVERGREEN_HEADER[:6]) <= lowered:
        return ImportFormat.EVERGREEN
    if lowered & {"email", "email_address"} and lowered & {
        "first_name",
        "last_name",
        "created_at",
        "tags",
        "state",
    }:
        return ImportFormat.KIT
    if lowered & {"email", "e-mail", "email address", "email_address"}:
        return ImportFormat.PLAIN
    raise AudienceInputError(
        "file", "no email column found: the header must name one (email or Email Address)"
    )


def _role(fmt: ImportFormat, column: str) -> str:
    if fmt is ImportFormat.MAILCHIMP:
        if column in _MAILCHIMP_ROLES:
            return _MAILCHIMP_ROLES[column]
        if _MAILCHIMP_SKIP.match(column) or column.upper().startswith(("UNSUB_", "CLEAN_")):
            return ""
        return "field:" + field_name_of(column)
    lowered = column.lower()
    if lowered in _IGNORED or not lowered:
        return ""
    if fmt is ImportFormat.EVERGREEN and lowered == "fields":
        return "fields_json"
    return _KNOWN.get(lowered, "field:" + field_name_of(column))


def plan_for(header: Sequence[str], overrides: Mapping[str, str] | None = None) -> ImportPlan:
    """The plan for a header: detected format and column roles, with any roles the person
    chose instead (column name → role)."""
    cells = _clean_header(header)
    fmt = detect_format(cells)
    roles = [_role(fmt, cell) for cell in cells]
    for column, role in (overrides or {}).items():
        if column not in cells:
            raise AudienceInputError("mapping", f"the file has no column {column!r}")
        if role not in ROLES and not (
            role.startswith("field:") and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,39}", role[6:])
        ):
            raise AudienceInputError("mapping", f"{role!r} is not a column role")
        roles[cells.index(column)] = role
    if roles.count("email") != 1:
        raise AudienceInputError("mapping", "exactly one column must be the email")
    file_status = None
    if fmt is ImportFormat.MAILCHIMP:
        if "CLEAN_TIME" in cells:
            file_status = Status.BOUNCED
        elif "UNSUB_TIME" in cells:
            file_status = Status.UNSUBSCRIBED
    return ImportPlan(fmt, cells, tuple(roles), file_status)


def _when(column: str, text: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace(" UTC", "").strip())
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except ValueError:
        raise AudienceInputError(column, f"{text!r} is not a date and time") from None
    except OverflowError:  # 0001-01-01T00:00+14:00 is before year 1 in UTC
        raise AudienceInputError(column, f"{text!r} is out of range in UTC") from None


def _ip(column: str, text: str) -> str | None:
    if not text:
        return None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise AudienceInputError(column, f"{text!r} is not an IP address") from None


def _json_fields(column: str, text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise AudienceInputError(column, "is not a JSON object") from None
    if not isinstance(value, dict):
        raise AudienceInputError(column, "is not a JSON object")
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = key if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,39}", str(key)) else field_name_of(key)
        flat[name] = orjson.dumps(item).decode() if isinstance(item, dict | list) else item
    return flat


def _status(plan: ImportPlan, column: str, text: str) -> Status:
    if plan.file_status is not None:
        return plan.file_status
    word = text.strip().lower()
    if word not in _STATUS_WORDS:
        raise AudienceInputError(column, f"{text!r} is not a status this import knows")
    return _STATUS_WORDS[word]


def _record(plan: ImportPlan, line: int, cells: Sequence[str]) -> ImportRecord:
    if len(cells) > len(plan.header) and any(cell.strip() for cell in cells[len(plan.header) :]):
        raise AudienceInputError(
            "row", f"has {len(cells)} cells; the header has {len(plan.header)}"
        )
    values: dict[str, tuple[str, str]] = {}
    fields: dict[str, Any] = {}
    for column, role, cell in zip(plan.header, plan.roles, cells, strict=False):
        text = (restore_cell(cell) if plan.format is ImportFormat.EVERGREEN else cell).strip()
        if role.startswith("field:"):
            if text:
                fields[role[6:]] = text
        elif role in ("attributes", "fields_json"):
            fields.update(_json_fields(column, text))
        elif role:
            values[role] = (column, text)
    email_column, email_text = values.get("email", ("email", ""))
    email = check_email(email_text, email_column)
    if "name" in values:
        name = check_name(values["name"][1], values["name"][0])
    else:
        parts = [values[key][1] for key in ("first_name", "last_name") if key in values]
        name = check_name(" ".join(part for part in parts if part), "name")
    if "first_name" in values and "name" in values and values["first_name"][1]:
        fields.setdefault("first_name", values["first_name"][1])
    status_column, status_text = values.get("status", ("status", ""))
    zone_column, zone_text = values.get("time_zone", ("time_zone", ""))
    try:
        time_zone = check_time_zone(zone_text)
    except AudienceInputError as exc:
        raise AudienceInputError(zone_column, exc.message) from None
    tags_text = values.get("tags", ("tags", ""))[1]
    return ImportRecord(
        line=line,
        email=email,
        name=name,
        status=_status(plan, status_column, status_text),
        fields=check_fields(fields),
        tags=tuple(
            check_tags(split_tags(tags_text, quoted=plan.format is not ImportFormat.EVERGREEN))
        ),
        time_zone=time_zone,
        opted_in_at=_when(*values.get("opted_in_at", ("opted_in_at", ""))),
        opt_in_ip=_ip(*values.get("opt_in_ip", ("opt_in_ip", "")))
        or _ip(*values.get("confirm_ip", ("confirm_ip", ""))),
        confirmed_at=_when(*values.get("confirmed_at", ("confirmed_at", ""))),
    )


def map_row(plan: ImportPlan, line: int, cells: Sequence[str]) -> ImportRecord | RowError:
    """One row as a record, or the error that stops it (with its line in the file)."""
    try:
        return _record(plan, line, cells)
    except AudienceInputError as exc:
        return RowError(line, exc.field, exc.message)


@dataclass(frozen=True)
class ImportStep:
    """What an imported row does to a membership: the new status (None: unchanged), the
    consent event to record, and a suppression of the whole address."""

    status: Status | None
    event: str | None
    suppress: str | None = None


def import_step(current: Status | None, wanted: Status, suppressed: str | None) -> ImportStep:
    """An imported row's effect: subscribed rows subscribe only people who never left;
    unsubscribed rows unsubscribe; bounced/complained rows suppress; never the reverse."""
    if wanted in (Status.BOUNCED, Status.COMPLAINED):
        if current is Status.COMPLAINED or suppressed == Status.COMPLAINED:
            return ImportStep(None, None)
        changed = current is not wanted or suppressed != wanted.value
        return ImportStep(wanted, "suppress" if changed else None, wanted.value)
    if suppressed or current in (Status.BOUNCED, Status.COMPLAINED):
        return ImportStep(None, None)
    if wanted is Status.UNSUBSCRIBED:
        if current is Status.UNSUBSCRIBED:
            return ImportStep(None, None)
        return ImportStep(Status.UNSUBSCRIBED, "opt_out")
    if current is None:
        return ImportStep(wanted, "opt_in")
    if current is Status.UNCONFIRMED and wanted is Status.SUBSCRIBED:
        return ImportStep(Status.SUBSCRIBED, "opt_in")
    return ImportStep(None, None)
