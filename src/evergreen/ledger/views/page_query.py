"""What a stream's page is asked to show (period, history length, a value forecast), read from
its query string or from the `back` field a form carries, so a post returns to the same view."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from urllib.parse import parse_qsl, urlencode

__all__ = ["HISTORY_MONTHS", "PageQuery"]

HISTORY_MONTHS = (12, 24)
# Query names as they appear in the address (`from` is a Python keyword).
_NAMES = {
    "period": "period", "start": "from", "end": "to", "months": "months",
    "persistence": "persistence", "forecast": "forecast", "continuing": "continuing",
}  # fmt: skip
_LONGEST = 400  # characters kept of any one value: a forecast of 30 years fits


@dataclass(frozen=True)
class PageQuery:
    """The page's view as typed; values are checked where they are used, so a bad one is
    shown beside its form and the rest of the page still works."""

    period: str = ""
    start: str = ""
    end: str = ""
    months: str = ""
    persistence: str = ""
    forecast: str = ""
    continuing: str = ""

    @classmethod
    def of(cls, values: Mapping[str, str]) -> PageQuery:
        """The view from query parameters (unknown ones ignored, long ones cut)."""
        return cls(**{f.name: values.get(_NAMES[f.name], "")[:_LONGEST] for f in fields(cls)})

    @classmethod
    def parse(cls, text: str) -> PageQuery:
        """The view from a query string such as a form's `back` field."""
        return cls.of(dict(parse_qsl(text[:4000])))

    @property
    def history_months(self) -> int:
        """12 or 24 months of history (12 unless 24 was asked for)."""
        return 24 if self.months == "24" else 12

    def encoded(self, **changes: str) -> str:
        """The view (with changes) as a query string, empty values left out."""
        changed = replace(self, **changes)
        pairs = [(_NAMES[f.name], getattr(changed, f.name)) for f in fields(changed)]
        return urlencode([(name, value) for name, value in pairs if value])

    def period_only(self) -> PageQuery:
        """Only the period and history length (links that change the value forecast drop it)."""
        return PageQuery(self.period, self.start, self.end, self.months)
