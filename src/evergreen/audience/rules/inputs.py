"""What people type about lists and subscribers: names, custom fields, tags, time zones."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import available_timezones

from evergreen.audience.errors import AudienceInputError
from evergreen.timezones import MAX_ZONE_NAME, zone_named

__all__ = [
    "LIKE_ESCAPE",
    "MAX_FIELDS",
    "MAX_TAGS",
    "check_field_name",
    "check_fields",
    "check_list_name",
    "check_name",
    "check_tag",
    "check_tags",
    "check_time_zone",
    "contains_patterns",
    "split_tags",
]

MAX_FIELDS = 50
MAX_TAGS = 100
_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
_MAX_FIELD_TEXT = 1000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _text(field: str, value: object, limit: int, *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise AudienceInputError(field, "must be text")
    text = value.strip()
    if required and not text:
        raise AudienceInputError(field, "is required")
    if len(text) > limit:
        raise AudienceInputError(field, f"is longer than {limit} characters")
    if _CONTROL.search(text):
        raise AudienceInputError(field, "may not contain line breaks or control characters")
    return text


def check_list_name(value: object) -> str:
    """A list's name: 1 to 100 characters on one line."""
    return _text("name", value, 100, required=True)


def check_name(value: object, field: str = "name") -> str:
    """A person's name, possibly empty; one line (it goes into mail headers)."""
    return _text(field, value, 200, required=False)


def check_field_name(value: object) -> str:
    """A custom field's name: a letter, then letters, digits or '_' (segments refer to it)."""
    if not isinstance(value, str) or not _FIELD_NAME.match(value):
        raise AudienceInputError(
            "fields",
            f"{value!r} is not a field name: start with a letter, then letters, "
            "digits or '_', at most 40",
        )
    return value


def check_fields(value: object) -> dict[str, Any]:
    """Custom fields: names as check_field_name, values text, whole numbers, decimals as text,
    true/false or empty."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise AudienceInputError("fields", "must be an object of name → value")
    if len(value) > MAX_FIELDS:
        raise AudienceInputError("fields", f"at most {MAX_FIELDS} fields per subscriber")
    checked: dict[str, Any] = {}
    for name, item in value.items():
        key = check_field_name(name)
        if item is None or isinstance(item, bool | int):
            if isinstance(item, int) and not isinstance(item, bool) and abs(item) > 2**53:
                raise AudienceInputError(f"fields.{key}", "is too large a number")
            checked[key] = item
        elif isinstance(item, str):
            if len(item) > _MAX_FIELD_TEXT:
                raise AudienceInputError(f"fields.{key}", f"is longer than {_MAX_FIELD_TEXT}")
            checked[key] = item
        elif isinstance(item, float):
            checked[key] = repr(item)  # kept exact as text; money is never a float
        else:
            raise AudienceInputError(f"fields.{key}", "must be text, a number, true/false or null")
    return checked


def check_tag(value: object) -> str:
    """A tag: 1 to 100 characters, no commas, kept case-folded so `Buyer` and `buyer` are one."""
    text = _text("tags", value, 100, required=True)
    if "," in text:
        raise AudienceInputError("tags", f"{text!r}: a tag may not contain a comma")
    return text.casefold()


def check_tags(values: Iterable[object]) -> list[str]:
    """Tags without repeats, in the order given."""
    seen: dict[str, None] = {}
    for value in values:
        seen[check_tag(value)] = None
    if len(seen) > MAX_TAGS:
        raise AudienceInputError("tags", f"at most {MAX_TAGS} tags per subscriber")
    return list(seen)


def split_tags(cell: str, *, quoted: bool = True) -> list[str]:
    """Tags from one CSV cell: `a, b` or Mailchimp's `"a","b"`; empty parts are dropped. Only
    a pair of quotes around a whole tag is taken off, and none when not `quoted` (Evergreen's
    own export, which writes tags as they are): a `"` inside a tag is part of it."""
    tags = []
    for part in cell.split(","):
        tag = part.strip()
        if quoted and len(tag) >= 2 and tag[0] == tag[-1] == '"':
            tag = tag[1:-1].strip()
        if tag:
            tags.append(tag)
    return tags


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
LIKE_ESCAPE = "\\"


def contains_patterns(text: str) -> tuple[str, str]:
    """LIKE patterns for "contains `text`", its %, _ and \\ literal: ASCII-lowered, matching
    SQLite's lower() (which keeps É), and fully lowered, matching a Unicode database lower()."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.translate(_ASCII_LOWER)}%", f"%{escaped.lower()}%"


_ZONES: frozenset[str] | None = None


def check_time_zone(value: object) -> str | None:
    """An IANA time zone such as Europe/Berlin (checked with zoneinfo), or None when empty."""
    global _ZONES
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise AudienceInputError("time_zone", "must be text such as Europe/Berlin")
    text = value.strip()
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    if text not in _ZONES and zone_named(text) is None:
        raise AudienceInputError(
            "time_zone",
            f"{text[:MAX_ZONE_NAME]!r} is not a time zone; use a name such as Europe/Berlin",
        )
    return text
