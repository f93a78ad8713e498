"""Per-process link state: the slug cache, the visitor-hash salt, the spool and its ingester."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from evergreen.addresses import Addresses
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.hashing import keyed_hash
from evergreen.links.clicks.backpressure import Brake
from evergreen.links.clicks.follower import drain
from evergreen.links.clicks.ingest import ClickPolicy, ingest_pending, spool_folder
from evergreen.links.clicks.spool import ClickSpool, SpoolBusy, SpoolReader
from evergreen.links.drafts import targets_of
from evergreen.links.models import Link, VisitorSalt
from evergreen.links.rules import Targets

__all__ = ["CachedLink", "LinkRuntime", "country_of"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CachedLink:
    """What the redirect needs of a link, immutable so requests can share it without locks."""

    id: int
    slug: str
    destination: str
    utm: dict[str, str]
    targets: Targets
    forward_query: bool
    forward_tracking: bool
    append_click_id: bool
    click_id_param: str
    set_cookie: bool
    redirect_status: int
    expires_at: datetime | None
    disabled: bool
    fallback_url: str | None
    # (target, raw query) → what the redirect derives from them; see redirect.Built. Dropped
    # with the link whenever the link changes.
    built: dict[tuple[str, bytes], Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, link: Link) -> CachedLink:
        """Copy a row into the cache form."""
        return cls(
            id=link.id,
            slug=link.slug,
            destination=link.destination,
            utm=dict(link.utm or {}),
            targets=targets_of(link.targets or {}),
            forward_query=link.forward_query,
            forward_tracking=link.forward_tracking,
            append_click_id=link.append_click_id,
            click_id_param=link.click_id_param,
            set_cookie=link.set_cookie,
            redirect_status=link.redirect_status,
            expires_at=link.expires_at,
            disabled=link.disabled,
            fallback_url=link.fallback_url,
        )


@lru_cache(maxsize=1)
def _geo() -> Any:
    from geoip2fast import GeoIP2Fast

    return GeoIP2Fast()


def country_of(ip: str) -> str:
    """Two-letter country of an IP from the offline database ('' when unknown or private)."""
    try:
        code = str(_geo().lookup(ip).country_code or "")
    except Exception:  # a malformed address must never break a redirect
        return ""
    return code if len(code) == 2 and code.isalpha() else ""


def _stamp(dialect: str) -> list[Any]:
    """What changes whenever a link is added, changed or deleted. On PostgreSQL (several servers)
    the sum of every change time moves even for a change stamped before the newest one: another
    server's slower clock, or a transaction that committed after a later one."""
    stamp: list[Any] = [func.count(), func.max(Link.id), func.max(Link.updated_at)]
    if dialect == "postgresql":
        stamp.append(func.sum(func.extract("epoch", Link.updated_at)))
    return stamp


class _SlugCache:
    """Every link by slug, reloaded when the links table changes (checked every half second)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.links: dict[str, CachedLink] = {}
        self.stamp: tuple[Any, ...] | None = None

    def refresh(self) -> None:
        with self.db.session(writer=False) as session:  # never waits behind a writer
            stamp = tuple(session.execute(select(*_stamp(session.get_bind().dialect.name))).one())
            if stamp == self.stamp:
                return
            loaded = {link.slug: CachedLink.of(link) for link in session.scalars(select(Link))}
        self.links, self.stamp = loaded, stamp

    def load(self, slug: str) -> CachedLink | None:
        with self.db.session(writer=False) as session:  # a redirect never waits for a writer
            link = session.scalar(select(Link).where(Link.slug == slug))
            cached = CachedLink.of(link) if link else None
        if cached is not None:
            self.links = {**self.links, slug: cached}
        return cached


class _Salt:
    """The day's random salt, shared through the database: today's and tomorrow's are held
    ahead, and each click is hashed with the salt of its own UTC day, so every server hashes a
    visitor alike at every moment, midnight included. Salts older than yesterday are deleted."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.keys: dict[int, bytes] = {}  # by UTC day number (days since 1970-01-01)
        self.fallback = secrets.token_bytes(32)  # until the database answers

    def key_for(self, day: int) -> bytes:
        """The salt of a UTC day number (a random one, never stored, if the database never
        answered)."""
        return self.keys.get(day) or self.fallback

    def refresh(self, today: date | None = None) -> None:
        """Make sure today's and tomorrow's salts are held (made by whichever server is first)."""
        today = today or datetime.now(UTC).date()
        days = (today, today + timedelta(days=1))
        if all(_day_number(day) in self.keys for day in days):
            return
        for _attempt in range(3):
            try:
                with self.db.session() as session:
                    held = {}
                    for day in days:
                        row = session.get(VisitorSalt, day)
                        if row is None:
                            row = VisitorSalt(day=day, salt=secrets.token_hex(32))
                            session.add(row)
                            session.flush()
                        held[_day_number(day)] = bytes.fromhex(row.salt)
                    session.execute(
                        delete(VisitorSalt).where(VisitorSalt.day < today - timedelta(days=1))
                    )
            except IntegrityError:
                continue  # another process made a salt first: read theirs
            kept = {day: key for day, key in self.keys.items() if day >= _day_number(today) - 1}
            self.keys = {**kept, **held}  # yesterday's too, for a click a moment before midnight
            return


def _day_number(day: date) -> int:
    return (day - _EPOCH).days


_EPOCH = date(1970, 1, 1)


class LinkRuntime:
    """Owns the redirect's in-memory state and the background loop that keeps it current."""

    def __init__(
        self, settings: Settings, db: Database, secret: str, *, ingest: bool = True
    ) -> None:
        self.settings = settings
        self.ingest = ingest
        self.db = db
        self.secret = secret
        folder = spool_folder(settings)
        self.spool = ClickSpool(folder, sync_interval=settings.click_sync_ms / 1000)
        self.reader = SpoolReader(folder)
        self.brake = Brake(settings.click_backlog_s)
        self.policy = ClickPolicy.of(settings)
        self.cache = _SlugCache(db)
        self.salt = _Salt(db)
        self.internal_ips = Addresses(settings.internal_ips)
        self.unspooled: deque[dict[str, Any]] = deque(maxlen=1_000_000)
        self.recorded: list[dict[str, Any]] = []  # decided, not yet spooled (see commit)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def record(self, click: dict[str, Any]) -> None:
        """Take a click to spool at the next `commit`, which comes before its redirect is sent."""
        if self.brake.pause:  # the ingester is far behind: give it this process's CPU a moment
            self.brake.apply()
        self.recorded.append(click)

    def commit(self) -> None:
        """Spool the clicks recorded since the last commit, in one write; if the local disk
        refuses them, hold them in memory and retry. Called by the event loop's thread only."""
        if not self.recorded:
            return
        clicks, self.recorded = self.recorded, []
        try:
            self.spool.append_many(clicks)
        except OSError:
            log.exception("click spool write failed; holding the clicks in memory")
            self.unspooled.extend(clicks)

    def _respool(self) -> None:
        while self.unspooled:
            self.spool.append(self.unspooled[0])
            self.unspooled.popleft()

    def visitor(self, ip: str, user_agent: str, at: float | None = None) -> str:
        """A salted hash standing for one visitor on the click's UTC day (`at`, seconds since
        the epoch; now by default); the IP itself is never stored."""
        day = int((time.time() if at is None else at) // 86_400)
        return keyed_hash(self.salt.key_for(day), f"{ip}|{user_agent}")

    def is_internal_ip(self, ip: str) -> bool:
        """Whether the request comes from one of the owner's networks."""
        return bool(self.internal_ips) and ip in self.internal_ips

    def ingest_spooled(self) -> int:
        """Ingest whatever is spooled now (stats readers call this to be exact). A request
        that already holds the SQLite write lock does not wait for the spool: the ingester that
        has it may be waiting for that very lock (each would wait for the other until a busy
        timeout), and it ingests the rest as soon as the request commits."""
        try:
            return ingest_pending(
                self.db, self.reader, self.policy, wait=not self.db.holds_writer()
            )
        except SpoolBusy:
            return 0

    def _step(self, name: str, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception:  # the database may be away; clicks wait in the spool
            log.warning("links background %s failed; will retry", name, exc_info=True)

    def _loop(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self._step("cache refresh", self.cache.refresh)
            self._step("salt refresh", self.salt.refresh)
            self._step("respool", self._respool)
            self._step("back-pressure", lambda: self.brake.update(self.db, self.reader.folder))
            if self.ingest:
                self._step("click ingestion", self.ingest_spooled)

    def start(self, interval: float = 0.5) -> None:
        """Warm the cache and start the background loop (at app start)."""
        self._step("cache refresh", self.cache.refresh)
        self._step("salt refresh", self.salt.refresh)
        self._thread = threading.Thread(
            target=self._loop, args=(interval,), name="links", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop, close the spool and, when this process ingests, drain it (at app
        shutdown). Under `serve` the ingester child drains once every web process has stopped."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.commit()
        self.spool.close()
        if self.ingest:
            drain(self.db, self.reader, self.policy, self.settings.drain_timeout_s)
