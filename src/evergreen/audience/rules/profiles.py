"""What a sign-up may change about a person: an owner's values replace, a public form's fill."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Profile", "merged_profile"]


@dataclass(frozen=True)
class Profile:
    """A subscriber's own details: name, custom fields, time zone ("" and None are unset)."""

    name: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)
    time_zone: str | None = None


def _blank(value: object) -> bool:
    return value is None or value == ""


def merged_profile(
    stored: Profile, given: Profile, *, fill_only: bool, keep_name: bool = False
) -> Profile:
    """The details after a sign-up; with `fill_only` (a public form, where anyone can type any
    address) given values only fill blanks, so a stranger cannot rename someone or move their
    mails to another time zone; with `keep_name` (a card's billing name may be someone else's)
    only the name does."""
    name = (stored.name or given.name) if fill_only or keep_name else (given.name or stored.name)
    if not fill_only:
        return Profile(name, {**stored.fields, **given.fields}, given.time_zone or stored.time_zone)
    fields = dict(stored.fields)
    for key, value in given.fields.items():
        if _blank(fields.get(key)):
            fields[key] = value
    return Profile(name, fields, stored.time_zone or given.time_zone)
