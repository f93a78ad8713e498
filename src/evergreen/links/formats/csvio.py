"""Links and clicks as CSV: Evergreen's format out; ours, Pretty Links' or ThirstyAffiliates' in."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import NamedTuple, TextIO
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.csvfile import CsvWriter, restore_cell
from evergreen.links.drafts import LinkDraft
from evergreen.links.models import Click, Link
from evergreen.links.rules import SUB_PARAMS, UTM_PARAMS

__all__ = [
    "CLICK_COLUMNS",
    "LINK_COLUMNS",
    "ParsedLinks",
    "error_lines",
    "export_clicks",
    "export_links",
    "read_links_csv",
]

_FLAGS = ("forward_query", "forward_tracking", "append_click_id", "set_cookie", "disabled")
LINK_COLUMNS = (
    "slug", "destination", "title", "kind", "channel", "campaign", "tags", *UTM_PARAMS,
    "redirect_status", "forward_query", "forward_tracking", "append_click_id", "click_id_param",
    "set_cookie", "expires_at", "disabled", "fallback_url",
)  # fmt: skip
CLICK_COLUMNS = (
    "at", "slug", "click_id", "class", "reason", "unique", "country", "device", "os", "browser",
    "referrer", *SUB_PARAMS, *UTM_PARAMS,
)  # fmt: skip
_CLICK_VALUES = (
    Click.at, Link.slug, Click.click_id, Click.klass, Click.reason, Click.is_unique,
    Click.country, Click.device, Click.os, Click.browser, Click.referrer, Click.sub,
)  # fmt: skip
_BATCH = 1000

# Column names other tools use, per field; compared without case, spaces, '_' or '-'.
_ALIASES: dict[str, tuple[str, ...]] = {name: (name,) for name in LINK_COLUMNS} | {
    "title": ("name", "title", "link name", "link title"),
    "destination": ("url", "destination", "destination url", "target url", "target"),
    "slug": ("slug", "link slug", "cloaked url", "short url"),
    "redirect_status": ("redirect_status", "redirect_type", "redirect"),
    "tags": ("tags", "categories", "link categories", "link tags", "group", "group name"),
    "forward_query": ("forward_query", "param_forwarding", "pass query str"),
}


def _key(header: str) -> str:
    return re.sub(r"[\s_-]+", "", header).lower()


_FIELD_OF = {_key(alias): name for name, aliases in _ALIASES.items() for alias in aliases}
_TRUE = frozenset({"true", "yes", "y", "on", "1", "enabled"})
_FALSE = frozenset({"false", "no", "n", "off", "0", "disabled"})
_DEFAULT = frozenset({"", "default", "global"})  # ThirstyAffiliates: "use the global setting"
_NAMED_STATUS = {"temporary": 302, "temp": 302, "found": 302, "permanent": 301}


class ParsedLinks(NamedTuple):
    """What a CSV file asks for: drafts by line, rows that could not be read, and notes."""

    rows: list[tuple[int, LinkDraft]]
    errors: list[tuple[int, str, str]]
    notes: list[str]


class _CellError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _iso(value: datetime | None) -> str:
    if value is None:
        return ""
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return utc.isoformat().replace("+00:00", "Z")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def export_links(links: Iterable[Link], out: TextIO) -> int:
    """Write links in the Evergreen CSV format, which read_links_csv reads back unchanged."""
    writer = CsvWriter(out)
    writer.writerow(LINK_COLUMNS)
    count = 0
    for link in links:
        utm = link.utm or {}
        row = [
            link.slug, link.destination, link.title, link.kind, link.channel, link.campaign,
            "|".join(link.tags or []), *(utm.get(name, "") for name in UTM_PARAMS),
            str(link.redirect_status), _flag(link.forward_query), _flag(link.forward_tracking),
            _flag(link.append_click_id), link.click_id_param, _flag(link.set_cookie),
            _iso(link.expires_at), _flag(link.disabled), link.fallback_url or "",
        ]  # fmt: skip
        writer.writerow(row)
        count += 1
    return count


def export_clicks(session: Session, link_id: int | None, out: TextIO) -> int:
    """Stream raw clicks (one link's, or all) in batches, so a big table never sits in memory."""
    query = (
        select(*_CLICK_VALUES)
        .join(Link, Link.id == Click.link_id)
        .order_by(Click.at, Click.id)
        .execution_options(yield_per=_BATCH)
    )
    if link_id is not None:
        query = query.where(Click.link_id == link_id)
    writer = CsvWriter(out)
    writer.writerow(CLICK_COLUMNS)
    count = 0
    for at, slug, click_id, klass, reason, unique, *dims, sub in session.execute(query):
        params = sub or {}
        row = [_iso(at), slug, click_id, klass, reason, _flag(unique), *dims]
        row += [str(params.get(name, "")) for name in (*SUB_PARAMS, *UTM_PARAMS)]
        writer.writerow(row)
        count += 1
    return count


def error_lines(errors: Iterable[tuple[int, str, str]]) -> list[str]:
    """Errors from reading and from bulk_create as sentences, in file order, for the person."""
    return [f"line {line}: {field}: {message}" for line, field, message in sorted(errors)]


def _delimiter(header: str) -> str:
    try:
        return csv.Sniffer().sniff(header, delimiters=",;\t").delimiter
    except csv.Error:  # a single column has no delimiter to find
        return ","


def _slug(value: str) -> str | None:
    """A slug, or the last path segment of a full short URL ("https://site/go/deal/" → deal)."""
    if "/" in value:
        path = urlsplit(value).path if "://" in value else value
        value = next((part for part in reversed(path.split("/")) if part), "")
    return value or None


def _redirect(value: str) -> int:
    text = value.strip().lower()
    if text in _DEFAULT:
        return 302
    number = re.match(r"\s*(\d{3})\b", text)
    if number:
        return int(number.group(1))  # check_draft says which statuses are allowed
    for word, status in _NAMED_STATUS.items():
        if text.startswith(word):
            return status
    raise _CellError(
        "redirect_status",
        f"{value.strip()!r} is not a redirect Evergreen makes; use 302 (temporary), 307 "
        "or 301 (permanent)",
    )


def _bool(field: str, value: str, default: bool) -> bool:
    text = value.strip().lower()
    if text in _DEFAULT:
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _CellError(field, f"{value.strip()!r} is not yes/no; use true or false")


def _when(value: str) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise _CellError(
            "expires_at", f"{text!r} is not a date and time like 2027-01-31T23:59:00Z"
        ) from None


def _draft(cells: dict[str, list[str]]) -> LinkDraft:
    """One row's cells, grouped by field, as a draft; the first non-empty column wins."""

    def one(field: str) -> str:
        return next((value for value in cells.get(field, []) if value), "")

    destination = one("destination")
    if not destination:
        raise _CellError("destination", "is required: put the target URL in the url column")
    tags = [tag for value in cells.get("tags", []) for tag in re.split(r"[|,;]", value)]
    draft = LinkDraft(
        destination=destination,
        slug=_slug(one("slug")),
        title=one("title"),
        kind=one("kind").lower() or "own",
        channel=one("channel"),
        campaign=one("campaign"),
        tags=[tag.strip() for tag in tags if tag.strip()],
        utm={name: one(name) for name in UTM_PARAMS if one(name)},
        redirect_status=_redirect(one("redirect_status")),
        click_id_param=one("click_id_param") or "evg_id",
        expires_at=_when(one("expires_at")),
        fallback_url=one("fallback_url") or None,
    )
    for name in _FLAGS:
        setattr(draft, name, _bool(name, one(name), getattr(draft, name)))
    return draft


def read_links_csv(text: str) -> ParsedLinks:
    """Read links from Evergreen, Pretty Links or ThirstyAffiliates CSV, naming each bad line."""
    text = text.removeprefix("\ufeff")
    header_line = text.split("\n", 1)[0].rstrip("\r")
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(header_line), skipinitialspace=True)
    rows: list[tuple[int, LinkDraft]] = []
    errors: list[tuple[int, str, str]] = []
    notes: list[str] = []
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        return ParsedLinks([], [(1, "file", "is empty; line 1 must name the columns")], [])
    fields = [_FIELD_OF.get(_key(cell)) for cell in header]
    if "destination" not in fields:
        message = "no destination column; name one url, destination, target url or target"
        return ParsedLinks([], [(1, "destination", message)], [])
    ignored = [cell.strip() for cell, field in zip(header, fields, strict=True) if not field]
    if any(ignored):
        notes.append("Ignored columns Evergreen does not use: " + ", ".join(filter(None, ignored)))
    last_line = reader.line_num
    try:
        for record in reader:
            line, last_line = last_line + 1, reader.line_num
            cells: dict[str, list[str]] = {}
            for field, value in zip(fields, record, strict=False):
                if field:
                    cells.setdefault(field, []).append(restore_cell(value.strip()))
            if not any(value.strip() for value in record):
                continue  # blank line
            try:
                rows.append((line, _draft(cells)))
            except _CellError as exc:
                errors.append((line, exc.field, exc.message))
    except csv.Error as exc:
        errors.append((last_line + 1, "file", f"is not valid CSV from here on ({exc})"))
    return ParsedLinks(rows, errors, notes)
