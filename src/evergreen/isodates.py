"""Days and moments an API client sends are ISO text, never a number read as Unix time.

Pydantic reads `5` or `"86400"` sent for a `date` or `datetime` as seconds since 1970, so a
client that sent a bare number by mistake would store a day in 1970. Every request model
derives from `NoUnixTime` (web/bodies.py's two kinds, finance's requests, which its CLI loads
without the web kit) and every date query parameter is a `QueryDay`: a number is refused with a
422 naming the field.
"""

from __future__ import annotations

import re
import types
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    FutureDate,
    FutureDatetime,
    NaiveDatetime,
    PastDate,
    PastDatetime,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

__all__ = ["Kind", "NoUnixTime", "QueryDay", "iso_day", "refuse_number", "temporal_kind"]

Kind = Literal["date", "datetime"]
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
_ASKED: dict[Kind, str] = {
    "date": "must be a date as YYYY-MM-DD, like 2026-03-01, not a number",
    "datetime": "must be a date and time like 2026-03-01T09:30:00Z, not a number",
}


def iso_day(text: str) -> date:
    """A day a person writes, YYYY-MM-DD (ValueError otherwise): Python's other ISO forms, such
    as 20260301 or 2026-W09-7, are not days people type, and a bare number is never one."""
    if _DAY.fullmatch(text) is None:
        raise ValueError(f"not a day as YYYY-MM-DD: {text[:20]!r}")
    return date.fromisoformat(text)


def refuse_number(value: Any, kind: Kind = "date") -> Any:
    """The value unchanged, unless it is a number (or a number's text) sent for a day or a time."""
    if isinstance(value, bool | int | float | Decimal) or (
        isinstance(value, str) and _NUMBER.match(value)
    ):
        raise PydanticCustomError("iso_date", _ASKED[kind])
    return value


_KINDS: dict[Any, Kind] = {
    datetime: "datetime", AwareDatetime: "datetime", NaiveDatetime: "datetime",
    PastDatetime: "datetime", FutureDatetime: "datetime",
    date: "date", PastDate: "date", FutureDate: "date",
}  # fmt: skip


def temporal_kind(annotation: Any) -> Kind | None:
    """Whether a field's type holds a datetime or a date (pydantic's own kinds too, through
    Optional and Annotated)."""
    try:
        return _KINDS[annotation]
    except (KeyError, TypeError):  # not one, or not hashable (a list's type, say)
        pass
    if get_origin(annotation) in (Annotated, Union, types.UnionType):
        kinds = {temporal_kind(arg) for arg in get_args(annotation)} - {None}
        return "datetime" if "datetime" in kinds else next(iter(kinds), None)
    return None


QueryDay = Annotated[date, BeforeValidator(refuse_number)]


class NoUnixTime(BaseModel):
    """A request model whose days and times are ISO text, never a number."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_unix_time(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool | int | float | str) and info.field_name is not None:
            kind = _kind_of(cls, info.field_name)
            if kind is not None:
                return refuse_number(value, kind)
        return value


@cache
def _kind_of(model: type[BaseModel], name: str) -> Kind | None:
    """Whether a model's field is a day or a time, worked out once per model and field."""
    field = model.model_fields.get(name)
    return None if field is None else temporal_kind(field.annotation)
