"""What the lending pages share: the prefix, how money and rates read, the day asked about."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import Depends, Request

from evergreen.db import utcnow
from evergreen.lending.rules.forms import read_date
from evergreen.money import show_page_money

__all__ = ["PREFIX", "TextFields", "as_of", "money", "percent"]

PREFIX = "/lending"


money = show_page_money  # the pages' amounts, as every area's `money` filter shows them


def percent(value: Decimal | float | None, places: int = 2) -> str:
    """A fraction as a percentage (0.115 → 11.50 %); a dash for none."""
    return "—" if value is None else f"{Decimal(str(value)) * 100:.{places}f} %"


def as_of(text: str) -> date:
    """The day a page is about: the one asked for, else today (a bad one is a form error)."""
    return read_date("as_of", text) if text.strip() else utcnow().date()


async def _text_fields(request: Request) -> dict[str, str]:
    """A posted form's text fields by name (named after the service's fields)."""
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


TextFields = Annotated[dict[str, str], Depends(_text_fields)]
