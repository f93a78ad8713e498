"""Shared route dependencies: a database session per request and who is asking.

Every route declares who may use it by depending on one of the access types below (or on
`Public`); each carries an `accounts.rules.Access`, and `allows` is the one rule that pages and
the API answer by. The request gate (web/gate.py) reads the same declaration to check the
caller before a request body is read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPBearer
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from evergreen.accounts import service as accounts
from evergreen.accounts.models import User
from evergreen.accounts.rules import SESSION_COOKIE, Access, Role, allows
from evergreen.config import Settings
from evergreen.db import MAX_DB_INT, MAX_ID, Database, DatabaseBusy
from evergreen.web.errors import Forbidden, LoginRequired

__all__ = [
    "MAX_DB_INT",
    "MAX_ID",
    "SESSION_COOKIE",
    "ApiOwner",
    "ApiStaff",
    "ApiUser",
    "BorrowerUser",
    "DashboardUser",
    "DbId",
    "DbIdQuery",
    "Declared",
    "Offset",
    "OptionalUser",
    "OwnerUser",
    "PageNumber",
    "PartnerUser",
    "Public",
    "SessionDep",
    "SettingsDep",
    "SignedInUser",
    "Viewer",
    "client_address",
    "declared_access",
    "write_turn",
    "writes",
]

# Integers from a path or a query are bounded here, once, so every database can hold them: a row
# ID within PostgreSQL's `integer` (evergreen.db.MAX_ID), an offset within 64 bits; past them
# PostgreSQL refuses the query and SQLite raises OverflowError (a 500) instead of finding nothing.
# Every route uses these (tests/web/test_input_bounds_http.py walks them all).
DbId = Annotated[int, Path(ge=1, le=MAX_ID, description="A row's ID.")]
DbIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_DB_INT)]
PageNumber = Annotated[int, Query(ge=1, le=1_000_000, description="Page, from 1.")]

# Declared for the OpenAPI document; the header itself is checked below with clearer errors.
_bearer_scheme = HTTPBearer(auto_error=False, description="An API token: `Bearer evg_...`")


@dataclass(frozen=True)
class Viewer:
    """Who is looking, as plain values that outlive the request's database session."""

    id: int
    email: str
    role: str

    @classmethod
    def of(cls, user: User) -> Viewer:
        """Copy what pages need from the row."""
        return cls(id=user.id, email=user.email, role=user.role)


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Writers in flight at once per process on PostgreSQL (below the thread pool's 40 threads and
# the connection pool's 30, so a transaction that waits on another's row lock never starves
# the one it waits for of a thread to commit with). SQLite has one writer at a time anyway.
_POSTGRES_WRITERS = 8
_Endpoint = TypeVar("_Endpoint", bound=Callable[..., Any])


def writes(endpoint: _Endpoint) -> _Endpoint:
    """Mark a GET route that writes (a postback sent as GET): its unit of work is a writer."""
    endpoint.__dict__["evergreen_writes"] = True
    return endpoint


def _is_writer(request: Request) -> bool:
    if request.method not in _SAFE_METHODS:
        return True
    endpoint = request.scope.get("endpoint")
    return bool(getattr(endpoint, "evergreen_writes", False))


def _write_gate(request: Request, db: Database) -> anyio.Semaphore:
    gate: anyio.Semaphore | None = getattr(request.app.state, "write_gate", None)
    if gate is None:
        gate = anyio.Semaphore(1 if db.single_writer else _POSTGRES_WRITERS)
        request.app.state.write_gate = gate
    return gate


@asynccontextmanager
async def write_turn(request: Request) -> AsyncIterator[None]:
    """This process's turn to write, as a writer request waits for it (a route that decides
    after reading whether it writes at all); DatabaseBusy past the same bounded wait."""
    db: Database = request.app.state.db
    gate = _write_gate(request, db)
    with anyio.move_on_after(db.write_wait_s) as waited:
        await gate.acquire()
    if waited.cancelled_caught:
        raise DatabaseBusy("Too many writes at once; please try again in a moment.")
    try:
        yield
    finally:
        gate.release()


def _finish(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


async def _db_session(request: Request) -> AsyncIterator[Session]:
    """One unit of work per request, committed before the response is sent.

    A request that writes waits for its turn here, in the event loop, not in a worker thread:
    threads blocked on a database lock could otherwise leave the request that holds it no
    thread to commit with. Past the wait it is answered 503 with Retry-After (DatabaseBusy).
    Reads (GET, HEAD) never queue; on SQLite they never wait for the write lock.
    """
    db: Database = request.app.state.db
    gate = _write_gate(request, db) if _is_writer(request) else None
    if gate is not None:
        with anyio.move_on_after(db.write_wait_s) as waited:
            await gate.acquire()
        if waited.cancelled_caught:
            raise DatabaseBusy("Too many writes at once; please try again in a moment.")
    try:
        session = (db.sessions if gate is not None else db.reader_sessions)()
        done = False
        try:
            if gate is None:
                yield session
            else:
                with db.writing(session):  # the request's other writers join its transaction
                    yield session
            done = True
        finally:
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(_finish, session, done)
    finally:
        if gate is not None:
            gate.release()


def client_address(request: Request) -> str:
    """The client address a per-client limit counts: the peer, or the address a trusted proxy
    forwarded (the proxy middleware has already put it here)."""
    return request.client.host if request.client else "unknown"


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(_db_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(_settings)]


def page_identity(connection: HTTPConnection, session: Session) -> User | None:
    """The person a browser's session cookie stands for, or None."""
    raw = connection.cookies.get(SESSION_COOKIE)
    return accounts.user_for_session(session, raw) if raw else None


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def api_identity(connection: HTTPConnection, session: Session) -> User:
    """The person an API token stands for; 401 saying what is wrong with the header otherwise."""
    header = connection.headers.get("authorization")
    if not header:
        raise _unauthorized(
            "Missing API token: send the header 'Authorization: Bearer <token>'. "
            "Create a token with `evergreen token create` or on the API tokens page."
        )
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or " " in value:
        raise _unauthorized("Malformed Authorization header: expected 'Bearer <token>'.")
    if not value.startswith(accounts.TOKEN_PREFIX):
        raise _unauthorized(
            f"Not an Evergreen API token: tokens start with {accounts.TOKEN_PREFIX}"
        )
    user = accounts.user_for_token(session, value)
    if user is None:
        raise _unauthorized("API token not recognised, or it was revoked.")
    return user


def _page_user(request: Request, session: SessionDep) -> User | None:
    user = page_identity(request, session)
    request.state.user = Viewer.of(user) if user else None
    return user


def _api_user(
    request: Request, session: SessionDep, _doc: Annotated[object, Depends(_bearer_scheme)]
) -> User:
    user = api_identity(request, session)
    request.state.user = Viewer.of(user)
    return user


class Declared:
    """A route's declared access; the dependency checks it, the request gate reads it."""

    api = False

    def __init__(self, access: Access) -> None:
        self.access = access

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.access.value})"

    def refusal(self, user: User | None) -> Exception | None:
        """Why this person may not use the route (the exception to raise), or None."""
        role = Role(user.role) if user is not None else None
        if allows(self.access, role):
            return None
        if user is None:
            return LoginRequired()
        if self.access is Access.PARTNER:
            return Forbidden(
                f"The partner portal is for partners, and {user.email} ({user.role}) is not a "
                "partner account. Manage the program from the dashboard instead."
            )
        if self.access is Access.BORROWER:
            return Forbidden(
                f"The borrower portal is for borrowers, and {user.email} ({user.role}) is not a "
                "borrower account."
            )
        if role is Role.BORROWER:
            return Forbidden("The dashboard is for the owner and staff; borrowers use /borrower.")
        if self.access is Access.STAFF or role is Role.PARTNER:
            return Forbidden("The dashboard is for the owner and staff; partners use the portal.")
        return Forbidden("Only the owner can open this page or do this.")

    def check_connection(self, connection: HTTPConnection, session: Session) -> None:
        """Raise the refusal for this request from its headers alone (before its body)."""
        if self.access is not Access.PUBLIC:
            refusal = self.refusal(page_identity(connection, session))
            if refusal is not None:
                raise refusal


class _PageAccess(Declared):
    """A page route's access: a browser session, else the sign-in page or 403."""

    def __call__(self, user: Annotated[User | None, Depends(_page_user)]) -> User | None:
        refusal = self.refusal(user)
        if refusal is not None:
            raise refusal
        return user


class _ApiAccess(Declared):
    """An API route's access: a bearer token, else 401, or 403 for a role that may not."""

    api = True

    def refusal(self, user: User | None) -> Exception | None:
        """The API's answers: 403 with a sentence naming who may call the route."""
        role = Role(user.role) if user is not None else None
        if allows(self.access, role):
            return None
        if self.access is Access.OWNER and role not in (Role.PARTNER, Role.BORROWER):
            return HTTPException(403, "Only the owner may call this endpoint.")
        return HTTPException(403, "This endpoint is for the owner and staff.")

    def check_connection(self, connection: HTTPConnection, session: Session) -> None:
        """Raise 401 or 403 for this request from its headers alone (before its body)."""
        refusal = self.refusal(api_identity(connection, session))
        if refusal is not None:
            raise refusal

    def __call__(self, user: Annotated[User, Depends(_api_user)]) -> User:
        refusal = self.refusal(user)
        if refusal is not None:
            raise refusal
        return user


class _PublicAccess(Declared):
    """Anyone: sign-in and sign-up pages, postbacks (checked by their own secret)."""

    def __call__(self) -> None:
        return None


# Routes that name no person depend on Public (`dependencies=[Public]`) to say so on purpose.
Public: Any = Depends(_PublicAccess(Access.PUBLIC))
OptionalUser = Annotated[User | None, Depends(_PageAccess(Access.PUBLIC))]
PartnerUser = Annotated[User, Depends(_PageAccess(Access.PARTNER))]
BorrowerUser = Annotated[User, Depends(_PageAccess(Access.BORROWER))]
SignedInUser = Annotated[User, Depends(_PageAccess(Access.SIGNED_IN))]
DashboardUser = Annotated[User, Depends(_PageAccess(Access.STAFF))]
OwnerUser = Annotated[User, Depends(_PageAccess(Access.OWNER))]
ApiUser = Annotated[User, Depends(_ApiAccess(Access.SIGNED_IN))]
ApiStaff = Annotated[User, Depends(_ApiAccess(Access.STAFF))]
ApiOwner = Annotated[User, Depends(_ApiAccess(Access.OWNER))]

_RANK = {
    Access.PUBLIC: 0,
    Access.SIGNED_IN: 1,
    Access.PARTNER: 2,
    Access.BORROWER: 2,
    Access.STAFF: 2,
    Access.OWNER: 3,
}


def _declarations(dependant: Dependant) -> Iterator[Declared]:
    if isinstance(dependant.call, Declared):
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _declarations(sub)


def declared_access(dependant: Dependant) -> Declared | None:
    """The strictest access a route declares (through any of its dependencies), or None when
    it declares none; two that cannot be ordered (portal and dashboard) are a mistake."""
    found = sorted(set(_declarations(dependant)), key=lambda d: _RANK[d.access])
    if not found:
        return None
    strictest = found[-1]
    for other in found:
        same_rank = _RANK[other.access] == _RANK[strictest.access]
        if same_rank and (other.access, other.api) != (strictest.access, strictest.api):
            raise ValueError(f"a route declares both {other!r} and {strictest!r}")
    return strictest
