"""A calculator's form: the fields a page shows, and the form read into the API's own request
model, so a page and the API refuse the same input with the same words."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from pydantic import BaseModel, ValidationError

from evergreen.errors import InputError

__all__ = ["FormErrors", "FormField", "read_form"]

Kind = Literal["number", "numbers", "per_year", "whole", "date", "choice", "check", "text"]
M = TypeVar("M", bound=BaseModel)
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class FormField:
    """One input: its request field, label, kind, example value and a hint on units."""

    name: str
    label: str
    kind: Kind = "number"
    example: str = ""
    hint: str = ""
    choices: tuple[str, ...] = ()


class FormErrors(InputError):
    """Every field a form got wrong, each with its reason, shown beside the field."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        field, message = next(iter(problems.items()))
        super().__init__(field, message)
        self.problems = dict(problems)


def _numbers(raw: str) -> list[float | str]:
    """Numbers separated by commas or spaces, as the CLI reads them (so no thousands
    separators); a word is kept for the model to refuse by name."""
    items: list[float | str] = []
    for piece in _SEPARATORS.split(raw.strip()):
        if piece:
            try:
                items.append(float(piece))
            except ValueError:
                items.append(piece)
    return items


def _value(field: FormField, raw: str) -> object:
    if field.kind == "numbers":
        return _numbers(raw)
    if field.kind == "per_year":
        items = _numbers(raw)
        return items[0] if len(items) == 1 else items
    return raw


def _message(error: Mapping[str, object]) -> str:
    """Pydantic's reason, with the year it concerns when a list item is wrong."""
    loc = error["loc"]
    text = str(error["msg"]).removeprefix("Value error, ")
    where = [part for part in loc[1:] if isinstance(part, int)] if isinstance(loc, tuple) else []
    return f"year {where[0] + 1}: {text}" if where else text


def read_form(model: type[M], fields: Sequence[FormField], form: Mapping[str, str]) -> M:
    """The form as the API's request model; blank fields take the model's defaults."""
    data: dict[str, object] = {}
    problems: dict[str, str] = {}
    for field in fields:
        raw = form.get(field.name, "").strip()
        if field.kind == "check":
            data[field.name] = raw != ""
        elif raw:
            data[field.name] = _value(field, raw)
    try:
        request = model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = error["loc"]
            problems.setdefault(str(loc[0]) if loc else "input", _message(error))
    if problems:
        raise FormErrors(problems)
    return request
