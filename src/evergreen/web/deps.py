"""Shared route dependencies: a database session per request and who is asking."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request
from fastapi.security import HTTPBearer
from sqlalchemy.orm import Session

from evergreen.accounts import service as accounts
from evergreen.accounts.models import User
from evergreen.accounts.rules import SESSION_COOKIE, Role, can_manage_settings, can_use_dashboard
from evergreen.config import Settings
from evergreen.web.errors import Forbidden, LoginRequired

__all__ = [
    "MAX_DB_INT",
    "SESSION_COOKIE",
    "ApiOwner",
    "ApiStaff",
    "ApiUser",
    "DashboardUser",
    "DbId",
    "DbIdQuery",
    "Offset",
    "OptionalUser",
    "OwnerUser",
    "PageNumber",
    "SessionDep",
    "SettingsDep",
    "Viewer",
]

# Integers from a path or a query are bounded here, once, so every database reaches them as a
# 64-bit integer: past 2^63 - 1 SQLite raises OverflowError (a 500) instead of finding nothing.
# Every route uses these (tests/web/test_input_bounds_http.py walks them all).
MAX_DB_INT = 2**63 - 1
DbId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="A row's ID.")]
DbIdQuery = Annotated[int | None, Query(ge=1, le=MAX_DB_INT)]
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


def _db_session(request: Request) -> Iterator[Session]:
    """One unit of work per request, committed before the response is sent."""
    with request.app.state.db.session() as session:
        yield session


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
