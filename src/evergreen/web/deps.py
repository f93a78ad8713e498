"""Shared route dependencies: a database session per request and who is asking."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPBearer
from sqlalchemy.orm import Session

from evergreen.accounts import service as accounts
from evergreen.accounts.models import User
from evergreen.accounts.rules import SESSION_COOKIE, Role, can_manage_settings, can_use_dashboard
from evergreen.config import Settings
from evergreen.db import Database, DatabaseBusy
from evergreen.web.errors import Forbidden, LoginRequired

__all__ = [
    "SESSION_COOKIE",
    "ApiOwner",
    "ApiStaff",
    "ApiUser",
    "DashboardUser",
    "OptionalUser",
    "OwnerUser",
    "SessionDep",
    "SettingsDep",
    "Viewer",
    "writes",
]

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


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(_db_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(_settings)]


def _optional_user(request: Request, session: SessionDep) -> User | None:
    raw = request.cookies.get(SESSION_COOKIE)
    user = accounts.user_for_session(session, raw) if raw else None
    request.state.user = Viewer.of(user) if user else None
    return user


OptionalUser = Annotated[User | None, Depends(_optional_user)]


def _dashboard_user(user: OptionalUser) -> User:
    if user is None:
        raise LoginRequired
    if not can_use_dashboard(Role(user.role)):
        raise Forbidden("The dashboard is for the owner and staff; partners use the portal.")
    return user


DashboardUser = Annotated[User, Depends(_dashboard_user)]


def _owner_user(user: DashboardUser) -> User:
    if not can_manage_settings(Role(user.role)):
        raise Forbidden("Only the owner can open this page or do this.")
    return user


OwnerUser = Annotated[User, Depends(_owner_user)]


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def _api_user(
    request: Request, session: SessionDep, _doc: Annotated[object, Depends(_bearer_scheme)]
) -> User:
    header = request.headers.get("authorization")
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
    request.state.user = Viewer.of(user)
    return user


ApiUser = Annotated[User, Depends(_api_user)]


def _api_staff(user: ApiUser) -> User:
    if not can_use_dashboard(Role(user.role)):
        raise HTTPException(403, "This endpoint is for the owner and staff.")
    return user


ApiStaff = Annotated[User, Depends(_api_staff)]


def _api_owner(user: ApiUser) -> User:
    if not can_manage_settings(Role(user.role)):
        raise HTTPException(403, "Only the owner may call this endpoint.")
    return user


ApiOwner = Annotated[User, Depends(_api_owner)]
