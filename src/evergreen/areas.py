"""The one list of areas: infrastructure loops over it and names none of them.

Each area is a package with an `area.py` whose `AREA` says what it adds (page routers, API
routers, commands, periodic tasks, a navigation entry, templates, tables, a section of the
dashboard home). Adding an area is a package and one line in `_PACKAGES`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from fastapi import APIRouter, Request
    from huey import Huey
    from sqlalchemy.orm import Session
    from starlette.types import Receive, Scope, Send

    from evergreen.config import Settings
    from evergreen.db import Database

__all__ = [
    "PLANNED",
    "AppParts",
    "Area",
    "DoorResponse",
    "FrontDoor",
    "HomeSection",
    "NavEntry",
    "Runtime",
    "all_areas",
    "navigation",
]

# Installed areas, in the order their routes are matched and their entries appear.
_PACKAGES = (
    "accounts",
    "links",
    "networks",
    "partners",
    "ledger",
    "audience",
    "mail",
    "webinars",
    "sequences",
    "household",
    "finance",
    "commerce",
    "funnels",
    "lending",
    "demo",
)


@dataclass(frozen=True)
class NavEntry:
    """A dashboard card and navigation link; `ready` is False until the area has its pages."""

    slug: str
    title: str
    summary: str
    ready: bool = True
    order: int = 0


@dataclass(frozen=True)
class AppParts:
    """What the composition root hands an area that keeps state for the app's life."""

    settings: Settings
    db: Database
    secret: str
    background: bool  # False when another process does the area's background work


class Runtime(Protocol):
    """Process state of an area (caches, a background thread), kept on `app.state.<name>`."""

    def start(self) -> None:
        """Begin background work when the app starts."""

    def stop(self) -> None:
        """Finish it when the app stops."""


# A front door's whole answer: status, headers, body.
DoorResponse = tuple[int, list[tuple[bytes, bytes]], bytes]


class FrontDoor(Protocol):
    """A hot path answered before any middleware or routing (the short-link redirect, a
    payment webhook's replay)."""

    def match(self, scope: Scope) -> str | None:
        """The key this request asks for, or None when the door is not for it."""

    def answer_now(self, scope: Scope, key: str) -> DoorResponse | None:
        """The whole answer when it needs no waiting (no body to read, no database), which the
        web server writes without running the app (web.protocol); None sends it to `answer`.
        What the answer promises (a redirect's click) is kept at the next `commit`."""

    def commit(self) -> None:
        """Make durable what the answers decided so far promise; the web server calls it
        before writing them (once for all of an event loop turn's answers)."""

    async def answer(self, scope: Scope, receive: Receive, send: Send, key: str) -> Receive | None:
        """Send the whole response and return None; or send nothing and return the `receive`
        the app goes on with (the body the door read, given again), for the routed path."""


@dataclass(frozen=True)
class HomeSection:
    """An area's part of the dashboard home: its own template (included with `home` bound to
    `context`) and the status the page answers with (400 when the area refused a query value,
    such as a bad period, and its section says what to fix)."""

    template: str
    context: Mapping[str, Any]
    status: int = 200


@dataclass(frozen=True)
class Area:
    """What one area adds to the program; loaders are functions so that importing is lazy.

    `commands` gives (name, Typer app or function) pairs: a Typer app becomes a command
    group, a function a top-level command. `home` fills a section of the dashboard home for
    the signed-in owner or staff member, from the request (its query) and the request's
    read-only database session; sections appear in the order of `_PACKAGES`, above the map.
    """

    name: str
    nav: NavEntry | None = None
    models: Callable[[], object] | None = None
    pages: Callable[[], Sequence[APIRouter]] | None = None
    api: Callable[[], Sequence[APIRouter]] | None = None
    commands: Callable[[], Sequence[tuple[str, Any]]] | None = None
    command_names: tuple[str, ...] = ()  # what `commands` gives: loaded only when one runs
    tasks: Callable[[Huey, Settings], None] | None = None
    runtime: Callable[[AppParts], tuple[Runtime | None, FrontDoor | None]] | None = None
    templates: Path | None = None
    home: Callable[[Request, Session], HomeSection] | None = None


# Areas still to come: shown as "coming" so the map of the product is visible from day one.
# Nothing that works is listed: loan schedules and payoff quotes, and household residual income,
# are finance's calculators until areas that keep their records arrive.
_COMING: tuple[tuple[str, str, str], ...] = ()
PLANNED: tuple[NavEntry, ...] = tuple(
    NavEntry(slug, title, summary, ready=False, order=50 + 10 * index)
    for index, (slug, title, summary) in enumerate(_COMING)
)


@cache
def all_areas() -> tuple[Area, ...]:
    """Every installed area, loaded once."""
    return tuple(import_module(f"evergreen.{name}.area").AREA for name in _PACKAGES)


@cache
def navigation() -> tuple[NavEntry, ...]:
    """The dashboard's map: installed and planned areas, in the order money flows."""
    entries = [area.nav for area in all_areas() if area.nav is not None] + list(PLANNED)
    return tuple(sorted(entries, key=lambda entry: entry.order))
