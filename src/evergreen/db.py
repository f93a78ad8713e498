"""Engine, sessions and the declarative base shared by every area."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Engine,
    MetaData,
    Numeric,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeDecorator

from evergreen.digits import MAX_ID

__all__ = [
    "ANALYZE_FROM",
    "MAX_DB_INT",
    "MAX_ID",
    "Base",
    "Database",
    "DatabaseBusy",
    "Money",
    "RowSession",
    "UTCDateTime",
    "analyze",
    "is_busy",
    "lock_for_writing",
    "serialize_on",
    "utcnow",
    "write_if_free",
    "write_unless_taken",
]

# Stable constraint names, so migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC, as everything is stored."""
    return datetime.now(UTC)


ANALYZE_FROM = 10_000  # rows a bulk write adds from which it refreshes PostgreSQL's statistics


def analyze(session: Session, *tables: str) -> None:
    """Fresh planner statistics for tables a bulk write just filled, on PostgreSQL. Until
    autovacuum catches up (a minute or so; a server may run without it) the planner guesses one
    row, and for one row it chose joins that walk a whole list per lookup. ANALYZE samples a
    bounded number of rows at any size, and only warns where this role does not own a table.
    SQLite's planner does without. `tables` are the models' names, never input."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"ANALYZE {', '.join(tables)}"))


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC; SQLite forgets the zone, so it is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Evergreen stores timezone-aware UTC only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Money is exact: 19 digits, 4 after the point, mapped to Decimal.
Money = Annotated[Decimal, mapped_column(Numeric(19, 4))]


class Base(DeclarativeBase):
    """Declarative base of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {
        datetime: UTCDateTime(),
        Decimal: Numeric(19, 4),
    }


# The largest integer every database stores (a 64-bit signed column): offsets and counts from a
# route or a command are bounded by it, since past it SQLite raises OverflowError; IDs have the
# tighter MAX_ID (evergreen.digits).
MAX_DB_INT = 2**63 - 1


def _storable(session: Session, entity: Any, ident: object) -> bool:
    """Whether each part of a primary key fits its column (a key past it names no row)."""
    parts = (
        ident.values()
        if isinstance(ident, dict)
        else ident
        if isinstance(ident, tuple)
        else (ident,)
    )
    if not any(isinstance(part, int) for part in parts):
        return True
    bind = session.get_bind()
    wide = bind.dialect.name == "sqlite" or all(
        isinstance(column.type, BigInteger) for column in inspect(entity).primary_key
    )
    top = MAX_DB_INT if wide else MAX_ID
    return all(-top - 1 <= part <= top for part in parts if isinstance(part, int))


class RowSession(Session):
    """A session whose `get` finds nothing for a key its column cannot hold, on every database,
    as for any key with no row: IDs come from forms, bodies and files as well as routes, and
    past the column SQLite raises OverflowError and PostgreSQL "integer out of range" (a 500)."""

    def get(self, entity: Any, ident: Any, *args: Any, **kwargs: Any) -> Any:
        if not _storable(self, entity, ident):
            return None
        return super().get(entity, ident, *args, **kwargs)


# How long one attempt waits for a lock (SQLite's busy timeout, PostgreSQL's lock_timeout), and
# how many attempts BEGIN IMMEDIATE gets: past them the caller is told the database is busy.
LOCK_TIMEOUT_S = 10.0
BEGIN_ATTEMPTS = 3
# SQLite reuses its write-ahead log from the start after a checkpoint but never shrinks it: one
# large import (a list, a journal, a link backfill) left the log at its size on disk for good.
# Past this, the log is cut back to it whenever it starts over (a pass of 100,000 clicks logs
# ~56 MB, so the ingester does not pay for growing it again each pass).
WAL_SIZE_LIMIT = 64 * 1024 * 1024
_WRITER: ContextVar[tuple[str, Session] | None] = ContextVar("evergreen_writer", default=None)
_READER = "evergreen_reader"  # execution option: a SQLite unit of work of single statements
_NO_WAIT = "evergreen_no_wait"  # execution option: begin only if the write lock is free now
_SQLITE_BUSY = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (primary codes)
_POSTGRES_BUSY = {"40P01", "40001", "55P03"}  # deadlock, serialization failure, lock timeout


def _sqlite_pragmas(lock_timeout_s: float) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        """WAL for concurrent readers (its file cut back to WAL_SIZE_LIMIT when it starts over),
        foreign keys on, a wait instead of 'database is locked', and a page cache big enough
        for the click indexes (SQLite's default is 2 MiB).

        pysqlite's own transaction handling is switched off: it begins a transaction only
        before DML, deferred, so a unit of work that read first could not take the write lock
        without failing at once. `_sqlite_begin` begins every transaction instead."""
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout_s * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA cache_size=-32768")
        cursor.close()

    return on_connect


def _sqlite_begin(lock_timeout_s: float) -> Any:
    wait_ms = int(lock_timeout_s * 1000)

    def on_begin(connection: Connection) -> None:
        """Writers begin IMMEDIATE (the write lock, waited for a bounded time). Readers begin
        nothing: each statement runs on its own and sees the latest commits, as under
        PostgreSQL's READ COMMITTED (a page that ingests spooled clicks first then counts them),
        and a read never waits behind a writer. A write made aside begins IMMEDIATE only if the
        lock is free at once."""
        options = connection.get_execution_options()
        if options.get(_READER):
            return
        raw: Any = connection.connection.driver_connection  # pysqlite's, never None here
        wait_s = 0.0 if options.get(_NO_WAIT) else BEGIN_ATTEMPTS * lock_timeout_s
        raw.execute("PRAGMA busy_timeout=0")
        try:
            if not _take_write_lock(raw, wait_s):
                connection.exec_driver_sql("BEGIN IMMEDIATE")  # busy or not: its error
        finally:
            raw.execute(f"PRAGMA busy_timeout={wait_ms}")

    return on_begin


_NAPS_S = (0.0001, 0.0002, 0.0005)  # then _NAP_S until the deadline
_NAP_S = 0.001


def _take_write_lock(raw: Any, wait_s: float) -> bool:
    """BEGIN IMMEDIATE on a driver connection, waiting for the write lock in naps of a
    millisecond at most; False once `wait_s` has passed (or on any other error). SQLite's own
    busy handler sleeps 1, 2, 5, 10, 15 … 100 ms between tries, so a writer that held the lock
    for a millisecond made the next one wait ten: two sending processes sharing the send log
    spent most of their time asleep."""
    deadline = time.monotonic() + wait_s
    naps = iter(_NAPS_S)
    while True:
        try:
            raw.execute("BEGIN IMMEDIATE")
            return True
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF not in _SQLITE_BUSY:
                return False
        if time.monotonic() >= deadline:
            return False
        time.sleep(next(naps, _NAP_S))


def _postgres_lock_timeout(lock_timeout_s: float) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        """A row or advisory lock is waited for a bounded time, then reported as busy."""
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {int(lock_timeout_s * 1000)}")
        dbapi_connection.autocommit = autocommit

    return on_connect


def is_busy(exc: BaseException) -> bool:
    """Whether a database error means "busy, try again shortly" rather than a fault: a lock
    not obtained in time, a deadlock or serialization failure, no pooled connection free."""
    if isinstance(exc, DatabaseBusy | PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_BUSY
    return getattr(orig, "sqlstate", None) in _POSTGRES_BUSY


class DatabaseBusy(Exception):
    """A unit of work could not get its turn to write in time; the caller may retry."""

    retry_after_s = 2

    def __init__(self, message: str = "The database is busy; please try again shortly.") -> None:
        super().__init__(message)
        self.message = message


def make_engine(url: str, *, lock_timeout_s: float = LOCK_TIMEOUT_S) -> Engine:
    """An engine configured for the dialect: pragmas and explicit BEGINs on SQLite, pre-ping
    and a bounded lock wait on PostgreSQL."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": lock_timeout_s}
        )
        event.listen(engine, "connect", _sqlite_pragmas(lock_timeout_s))
        event.listen(engine, "begin", _sqlite_begin(lock_timeout_s))
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    event.listen(engine, "connect", _postgres_lock_timeout(lock_timeout_s))
    return engine


class Database:
    """One engine and its session factories; areas get sessions from here, never build engines.

    A unit of work is a writer unless it says otherwise: on SQLite it begins IMMEDIATE, so
    writers queue for the write lock instead of failing with "database is locked" half-way.
    """

    def __init__(self, url: str, *, lock_timeout_s: float = LOCK_TIMEOUT_S) -> None:
        self.url = url
        self.lock_timeout_s = lock_timeout_s
        self.engine = make_engine(url, lock_timeout_s=lock_timeout_s)
        self.sessions = sessionmaker(self.engine, class_=RowSession, expire_on_commit=False)
        self.reader_sessions = sessionmaker(
            self.engine.execution_options(**{_READER: True}),
            class_=RowSession,
            expire_on_commit=False,
        )

    @property
    def single_writer(self) -> bool:
        """SQLite: one writer at a time for the whole file, whatever the process."""
        return self.engine.dialect.name == "sqlite"

    @property
    def write_wait_s(self) -> float:
        """How long a writer may wait for its turn before it is told the database is busy."""
        return self.lock_timeout_s * BEGIN_ATTEMPTS

    @contextmanager
    def session(self, *, writer: bool = True) -> Iterator[Session]:
        """A unit of work: commits when the block ends cleanly, rolls back otherwise.

        `writer=False` for work that reads: on SQLite each statement then runs on its own and
        sees the latest commits (PostgreSQL's READ COMMITTED), a read never waits for the write
        lock, and a write it makes anyway is committed by itself. On SQLite a writer opened
        inside another writer's unit of work (in the same request or command) joins it as a
        savepoint: a second connection would wait for the lock its own caller holds.
        """
        if writer and self.single_writer:
            outer = _WRITER.get()
            if outer is not None and outer[0] == self.url:
                with outer[1].begin_nested():
                    yield outer[1]
                return
        maker = self.sessions if writer else self.reader_sessions
        with maker() as session, self.writing(session) if writer else nullcontext():
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def holds_writer(self) -> bool:
        """Whether this context already has this SQLite file's writer unit of work (it holds
        the write lock): whatever it waits for must not be held by one waiting for that lock."""
        outer = _WRITER.get()
        return self.single_writer and outer is not None and outer[0] == self.url

    @contextmanager
    def writing(self, session: Session) -> Iterator[None]:
        """Within this block, writer units of work on this SQLite file join `session`."""
        token = _WRITER.set((self.url, session))
        try:
            yield
        finally:
            try:
                _WRITER.reset(token)
            except ValueError:  # finished from another context (a cancelled request)
                _WRITER.set(None)

    def ping(self) -> bool:
        """True when the database answers a trivial query (never waits for the write lock)."""
        try:
            with self.engine.execution_options(**{_READER: True}).connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def dispose(self) -> None:
        """Close pooled connections (at shutdown and between tests)."""
        self.engine.dispose()


def lock_for_writing(session: Session) -> None:
    """Make sure this unit of work holds the write lock before it reads what it will change.

    On SQLite a writer's transaction began IMMEDIATE, so it already does; a reader runs each
    statement on its own, so calling this from a reader is a programming error. PostgreSQL
    reads the latest committed rows and locks the rows it writes.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    if connection.get_execution_options().get(_READER):
        raise RuntimeError("a read-only unit of work cannot take the write lock; use a writer")


def write_if_free(session: Session, statement: Executable) -> bool:
    """A small best-effort write (a "last used" stamp) that never makes its unit of work wait
    or fail; returns whether it was made. In a SQLite reader it is committed aside at once,
    only if the write lock is free: a reader's write would wait for the lock in its thread."""
    connection = session.connection()
    try:
        if connection.dialect.name == "sqlite" and connection.get_execution_options().get(_READER):
            aside = connection.engine.execution_options(**{_READER: False, _NO_WAIT: True})
            with aside.begin() as other:
                other.execute(statement)
            return True
        with session.begin_nested():
            session.execute(statement)
        return True
    except OperationalError as exc:
        if not is_busy(exc):
            raise
        return False


def write_unless_taken(
    session: Session, write: Callable[[], object], taken: Callable[[], bool]
) -> bool:
    """Make a write that a unique key guards, or refuse it: False, with nothing written, when
    `taken()` finds the key held, before the write or after another unit of work committed it
    meanwhile (the write's IntegrityError is then absorbed in a savepoint and this unit of work
    goes on). Any other IntegrityError is raised.

    `write` makes every change the key guards (setting attributes, `session.add`): what is
    already pending is flushed before the savepoint begins, outside it, where a clash would end
    the whole transaction. The first look at `taken` flushes nothing, so a refusal comes first."""
    with session.no_autoflush:
        if taken():
            return False
    session.flush()  # as begin_nested would: what is pending is no part of the write
    try:
        with session.begin_nested():
            write()
            session.flush()
    except IntegrityError:
        with session.no_autoflush:
            if not taken():
                raise
        return False
    return True


def serialize_on(session: Session, *keys: str) -> None:
    """Run the rest of this unit of work alone among those naming any of the same keys (a
    check-then-record such as the sign-in throttle): on PostgreSQL with transaction-scoped
    advisory locks, taken in a fixed order. SQLite needs nothing: a writer holds the write lock
    from its first statement."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        return
    for key in sorted(set(keys)):
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        connection.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": number})
